/** An application on libtorch's CUDA build. */
module org.radam4j.example.cuda {
    requires org.radam4j;
}
