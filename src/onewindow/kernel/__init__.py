"""The shared kernel: messages, errors, clock. Tiny and free of I/O."""
