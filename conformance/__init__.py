"""The XMTP group-chat conformance suite: vector checks, runner and command line."""
