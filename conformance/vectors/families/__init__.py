"""One module per family of XMTP vectors (see ``conformance.vectors``)."""
