/** A modular application that trains with radam4j. */
module org.radam4j.example {
    requires org.radam4j;
}
