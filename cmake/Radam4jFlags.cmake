# Compiler settings for radam4j's native library.
# Portable x86-64 code (the AVX2 and AVX-512 kernels are compiled with their own flags and chosen at run time), full
# optimisation without fast-math: the kernel keeps IEEE semantics, so NaN and infinity propagate as in PyTorch.
function(radam4j_set_flags target)
  set_target_properties(${target} PROPERTIES
    CXX_STANDARD 17
    CXX_STANDARD_REQUIRED ON
    CXX_VISIBILITY_PRESET hidden
    POSITION_INDEPENDENT_CODE ON)
  if(NOT CMAKE_BUILD_TYPE)
    set(CMAKE_BUILD_TYPE Release PARENT_SCOPE)
  endif()
  target_compile_options(${target} PRIVATE -O3 -fno-math-errno -fno-trapping-math -ffp-contract=off -Wall -Wextra)
  target_link_options(${target} PRIVATE -static-libstdc++ -static-libgcc)
endfunction()
