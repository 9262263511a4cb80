"""``wire/credentials::<case>``: a member added with the case's leaf credential, by a super admin's commit.

An ``inbox_credential`` case is the RFC 9420 ``Credential`` of an XMTP leaf. Its wire form is the creator's commit
adding one installation whose key package carries the case's credential (the leaf and the key package signed
again over it), with 0xFF01 naming the inbox the installation is registered in: for a valid credential the inbox
it names (registered first, from the family's wallet, on a network of its own), for an invalid one a model
user's. A receiver parses every added leaf's credential and checks it names the inbox the installation
belongs to (docs/xmtp-facts.md §2, §4.4): the valid one is applied, the invalid ones refused (then the probe
follows, ``WireGroup.play``). A client of the libxmtp profile only decodes an added leaf's MlsCredential
(``Profile.added_credentials_checked``), so an invalid credential that decodes is judged in the seed profile
only; commit_validation's ``libxmtp/added_credential_*`` cases play the libxmtp profile's verdict.

Without a wire form: valid credentials naming an inbox whose wallet the harness does not hold (it cannot
register an installation in it), installation keys (derived by the installation's own client: a receiver sees
only the public key), a credential type other than basic (no member supports it: the commit is an MLS-level
refusal, RFC 9420 §7.2, before any credential rule), and legacy credentials (the legacy profile: a current group's members carry inbox
credentials only).
"""

from __future__ import annotations

import dataclasses

from spec_model.mls.leaf_node import Credential, CredentialType
from spec_model.xmtp import api
from spec_model.mls.reasons import Rejected
from spec_model.xmtp.credential import Installation, inbox_of, named_inbox
from spec_model.xmtp.extensions import GroupMembership, read_membership
from spec_model.xmtp.groups import membership_proposals
from spec_model.xmtp.identity import inbox_id
from spec_model.xmtp.identity_signing import create_inbox_update
from spec_model.xmtp.key_package import build_key_package
from spec_model.xmtp.wallet import Wallet

from ..vectors.families import credentials as family
from ..vectors.families.key_packages import resigned
from ..vectors.formats import CodecCase, Verdict
from .world import GroupSpec, World, group_spec

__all__ = ["derive"]

WALLETS = {inbox_id(wallet.address, 0): wallet for wallet in family.W}
"""The family's wallets, by their inbox (nonce 0): the harness can register an installation in these."""


@dataclasses.dataclass(frozen=True)
class CredentialWire:
    """One inbox_credential case on the wire: the credential, the wallet of the inbox it names (valid), the
    verdict."""

    spec: GroupSpec
    case_id: str
    credential: bytes
    wallet: Wallet | None
    accepted: bool
    own_profile: bool = True  # a profile the spec names is the only one the case holds in

    @property
    def fresh_world(self) -> bool:
        """A valid case registers the family's inbox, which another case (or family) may hold with another log."""
        return self.accepted

    def play(self, world: World) -> None:
        group = world.group(self.spec, self.case_id, private=self.accepted)
        now_ns = world.network.clock.now_ns()
        if self.wallet is not None:
            installation = Installation.generate()
            update = create_inbox_update(self.wallet, 0, now_ns, installation.private_key)
            world.network.publish_identity_update(api.PublishIdentityUpdateRequest(update.encode()))
            inbox = update.inbox_id
        else:
            holder = world.user("credential_holder")
            installation, inbox = holder.installation, holder.inbox_id
        bundle = build_key_package(installation, inbox, now_ns // 10**9)
        key_package = resigned(bundle, leaf={"credential": Credential.decode(self.credential)})
        creator = group.member("creator")
        members = dict(read_membership(creator.context.extensions).members)
        members[inbox] = world.log.latest_sequence_id(inbox)
        proposals = membership_proposals(creator, (key_package,), frozenset(), GroupMembership(members=members))
        group.play("creator", proposals, accepted=self.accepted, what=self.case_id.split("::")[1])


def derive(case: CodecCase) -> CredentialWire | str:
    """The wire form of a credentials case, or why it has none."""
    if case.type == family.TYPES["installation_key"]:
        return "an installation key is derived by the installation's own client: a receiver sees the public key only"
    if case.type == family.TYPES["legacy_credential"]:
        return "the legacy profile: a current group's members carry inbox credentials only"
    credential = bytes.fromhex(case.encoded)
    if Credential.decode(credential).credential_type != CredentialType.basic:
        return "no member supports the credential type: an MLS-level refusal (RFC 9420 §7.2) before any credential rule"
    accepted = Verdict(case.expected.result) == Verdict.VALID
    wallet, profile = None, None
    if not accepted and _decodes(credential):
        profile = "seed"  # the libxmtp profile only decodes an added leaf's credential: commit_validation's
        #                   libxmtp/added_credential_* cases hold its verdict
    if accepted:
        wallet = WALLETS.get(inbox_of(Credential.decode(credential)))
        if wallet is None:
            return "the credential names an inbox whose wallet the harness does not hold: no installation of it " \
                   "can be registered"
    return CredentialWire(group_spec("credentials", profile=profile), case.id, credential, wallet, accepted)


def _decodes(credential: bytes) -> bool:
    """Whether the credential's identity is an MlsCredential, whatever inbox id it names."""
    try:
        named_inbox(Credential.decode(credential))
    except Rejected:
        return False
    return True
