# Small landscapes, SGD and ensembles of runs (issue 6, items 5 and 6).
target_sources(gradflow_models PRIVATE
  ${PROJECT_SOURCE_DIR}/models/least_squares.cpp
  ${PROJECT_SOURCE_DIR}/models/wide_sharp_1d.cpp)

foreach(name IN ITEMS
    test_landscape_models)
  gradflow_add_test(${name})
endforeach()
