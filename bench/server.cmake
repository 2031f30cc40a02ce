# Server suite of bench/run: the load generator and the plain Beast
# echo server it measures as the ceiling. Included from bench/CMakeLists.txt.
add_executable(load_gen load_gen.cpp)
target_link_libraries(load_gen PRIVATE client_core Boost::headers Threads::Threads)
target_compile_definitions(load_gen PRIVATE BOOST_ASIO_NO_DEPRECATED)
add_executable(echo_server echo_server.cpp)
target_link_libraries(echo_server PRIVATE Boost::headers Threads::Threads)
target_compile_definitions(echo_server PRIVATE BOOST_ASIO_NO_DEPRECATED)
