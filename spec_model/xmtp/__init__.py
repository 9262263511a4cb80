"""XMTP group chat on top of the MLS model: identity, credentials, key packages, group rules."""
