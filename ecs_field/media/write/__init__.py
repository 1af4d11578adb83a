"""Writing sticks: the write-and-verify pipeline, the privileged helper, block I/O, the image
fingerprint."""
