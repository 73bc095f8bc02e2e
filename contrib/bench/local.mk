# contrib/bench: benchmark programs (built by `make bench`, not by default)
