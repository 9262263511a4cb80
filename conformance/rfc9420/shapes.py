"""The shape of every RFC 9420 and RFC 9180 vector question and answer, as pydantic models.

``SHAPES[(format, ask)] = (Question, Answer)``. They document the protocol (``docs/adapters.md``) and give
the JSON Schemas ``vectors/schemas/rfc9420-questions.schema.json`` and ``rfc9180-questions.schema.json``;
the tests check that every question the harness builds and every answer the model gives fits them. The
judges do not rely on them: an answer of any shape is judged field by field and fails where it differs.
Bytes are lowercase hex strings. An answer with ``valid: false`` (a refusal) need carry nothing else.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

Hex = str
OptionalHex = Hex | None


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RatchetStep(_Shape):
    handshake_key: Hex
    handshake_nonce: Hex
    application_key: Hex
    application_nonce: Hex


class ExporterInput(_Shape):
    label: str
    context: Hex
    length: int


class EpochInput(_Shape):
    tree_hash: Hex
    commit_secret: Hex
    psk_secret: OptionalHex = None
    confirmed_transcript_hash: Hex
    exporter: ExporterInput


class ExporterOutput(_Shape):
    secret: Hex


EpochOutput = create_model(
    "EpochOutput", __base__=_Shape, group_context=(Hex, ...), external_pub=(Hex, ...), exporter=(ExporterOutput, ...),
    **{name: (Hex, ...) for name in (
        "joiner_secret", "welcome_secret", "init_secret", "sender_data_secret", "encryption_secret", "exporter_secret",
        "epoch_authenticator", "external_secret", "confirmation_key", "membership_key", "resumption_psk")})


class ExternalPsk(_Shape):
    psk_id: Hex
    psk: Hex
    psk_nonce: Hex


class NodeSecret(_Shape):
    node: int
    path_secret: Hex


class LeafPrivate(_Shape):
    index: int
    encryption_priv: Hex
    signature_priv: Hex
    path_secrets: list[NodeSecret]


class GivenPath(_Shape):
    sender: int
    update_path: Hex


class ProcessedPath(_Shape):
    tree_hash_after: Hex
    path_secrets: list[OptionalHex] = Field(description="per leaf: the path secret it decrypts (null: the sender, "
                                                        "a blank leaf)")
    commit_secrets: list[OptionalHex] = Field(description="per leaf: the commit secret it derives")


class FreshPath(_Shape):
    sender: int
    update_path: Hex
    commit_secret: Hex
    tree_hash_after: Hex


class Plaintext(_Shape):
    aad: Hex
    pt: Hex


class Ciphertext(_Shape):
    aad: Hex
    ct: Hex


class Export(_Shape):
    exporter_context: Hex
    L: int


def _shape(name: str, **fields: Any) -> type[BaseModel]:
    return create_model(name, __base__=_Shape,
                        **{k: v if isinstance(v, tuple) else (v, ...) for k, v in fields.items()})


CS = {"cipher_suite": int}
GROUP = {**CS, "group_id": Hex, "epoch": int, "tree_hash": Hex, "confirmed_transcript_hash": Hex,
         "membership_key": Hex, "encryption_secret": Hex, "sender_data_secret": Hex}
REFUSABLE = {"valid": bool}
CONTENT_TYPE = Literal["proposal", "commit", "application"]
STRUCTURE = Literal[
    "mls_welcome", "mls_group_info", "mls_key_package", "ratchet_tree", "group_secrets", "add_proposal",
    "update_proposal", "remove_proposal", "pre_shared_key_proposal", "re_init_proposal", "external_init_proposal",
    "group_context_extensions_proposal", "commit", "public_message_application", "public_message_proposal",
    "public_message_commit", "private_message"]
HPKE = {"mode": int, "kem_id": int, "kdf_id": int, "aead_id": int, "info": Hex, "exports": list[Export],
        "psk": (OptionalHex, None), "psk_id": (OptionalHex, None)}

_SPECS: dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any]]] = {
    ("tree-math", "tree-math"): (
        {"n_leaves": int},
        {"n_nodes": int, "root": int, **{r: list[int | None] for r in ("left", "right", "parent", "sibling")}}),
    ("deserialization", "decode_varint"): ({"vlbytes_header": Hex}, {"length": int}),
    ("deserialization", "encode_varint"): ({"length": int}, {"vlbytes_header": Hex}),
    ("crypto-basics", "ref_hash"): ({**CS, "label": str, "value": Hex}, {"out": Hex}),
    ("crypto-basics", "expand_with_label"): ({**CS, "secret": Hex, "label": str, "context": Hex, "length": int},
                                             {"out": Hex}),
    ("crypto-basics", "derive_secret"): ({**CS, "secret": Hex, "label": str}, {"out": Hex}),
    ("crypto-basics", "derive_tree_secret"): (
        {**CS, "secret": Hex, "label": str, "generation": int, "length": int}, {"out": Hex}),
    ("crypto-basics", "sign_with_label"): ({**CS, "priv": Hex, "label": str, "content": Hex}, {"signature": Hex}),
    ("crypto-basics", "verify_with_label"): (
        {**CS, "pub": Hex, "label": str, "content": Hex, "signatures": list[Hex]}, {"valid": list[bool]}),
    ("crypto-basics", "encrypt_with_label"): (
        {**CS, "pub": Hex, "label": str, "context": Hex, "plaintext": Hex}, {"kem_output": Hex, "ciphertext": Hex}),
    ("crypto-basics", "decrypt_with_label"): (
        {**CS, "priv": Hex, "label": str, "context": Hex, "kem_output": Hex, "ciphertext": Hex}, {"plaintext": Hex}),
    ("secret-tree", "sender_data"): ({**CS, "sender_data_secret": Hex, "ciphertext": Hex}, {"key": Hex, "nonce": Hex}),
    ("secret-tree", "secret_tree"): (
        {**CS, "encryption_secret": Hex, "generations": list[list[int]]}, {"leaves": list[list[RatchetStep]]}),
    ("message-protection", "unprotect"): (
        {**GROUP, "signature_pub": Hex, "message": Hex},
        {**REFUSABLE, "sender": (int | None, None), "content_type": (CONTENT_TYPE | None, None),
         "content": (OptionalHex, None)}),
    ("message-protection", "protect"): (
        {**GROUP, "signature_priv": Hex, "wire_format": Literal["public", "private"], "content_type": CONTENT_TYPE,
         "content": Hex, "confirmation_tag": OptionalHex},
        {**REFUSABLE, "message": (OptionalHex, None)}),
    ("key-schedule", "key_schedule"): (
        {**CS, "group_id": Hex, "initial_init_secret": Hex, "epochs": list[EpochInput]}, {"epochs": list[EpochOutput]}),
    ("psk-secret", "psk_secret"): ({**CS, "psks": list[ExternalPsk]}, {"psk_secret": Hex}),
    ("transcript-hashes", "transcript_hashes"): (
        {**CS, "authenticated_content": Hex, "interim_transcript_hash_before": Hex, "confirmation_key": Hex},
        {**REFUSABLE, "confirmed_transcript_hash_after": (OptionalHex, None),
         "interim_transcript_hash_after": (OptionalHex, None)}),
    ("welcome", "welcome"): (
        {**CS, "init_priv": Hex, "signer_pub": Hex, "key_package": Hex, "welcome": Hex},
        {**REFUSABLE, "joiner_secret": (OptionalHex, None), "group_context": (OptionalHex, None)}),
    ("tree-operations", "tree_operation"): (
        {**CS, "tree_before": Hex, "proposal": Hex, "proposal_sender": int},
        {"tree_hash_before": Hex, "tree_after": Hex, "tree_hash_after": Hex}),
    ("tree-validation", "tree_validation"): (
        {**CS, "group_id": Hex, "tree": Hex},
        {**REFUSABLE, "resolutions": (list[list[int]] | None, None), "tree_hashes": (list[Hex] | None, None)}),
    ("treekem", "treekem"): (
        {**CS, "group_id": Hex, "epoch": int, "confirmed_transcript_hash": Hex, "ratchet_tree": Hex,
         "leaves_private": list[LeafPrivate], "update_paths": list[GivenPath]},
        {"update_paths": list[ProcessedPath], "new_update_paths": list[FreshPath]}),
    ("messages", "decode"): (
        {"structure": STRUCTURE, "encoded": Hex},
        {**REFUSABLE, "encoded": (OptionalHex, None), "fields": (dict[str, Any] | None, None)}),
    ("hpke", "sender"): (
        {**HPKE, "pkRm": Hex, "ikmE": Hex, "skEm": Hex, "skSm": (OptionalHex, None),
         "plaintexts": list[Plaintext]},
        {"enc": Hex, "ciphertexts": list[Hex], "exported": list[Hex]}),
    ("hpke", "receiver"): (
        {**HPKE, "skRm": Hex, "pkRm": Hex, "enc": Hex, "pkSm": (OptionalHex, None), "ciphertexts": list[Ciphertext]},
        {"plaintexts": list[OptionalHex], "exported": list[Hex]}),
}


def _title(fmt: str, ask: str) -> str:
    words = f"{fmt} {ask}".replace("-", " ").replace("_", " ").split()
    return "".join(dict.fromkeys(w.capitalize() for w in words))


SHAPES: dict[tuple[str, str], tuple[type[BaseModel], type[BaseModel]]] = {
    (fmt, ask): (_shape(f"{_title(fmt, ask)}Question", ask=(Literal[ask], ...), **question),  # type: ignore[valid-type]
                 _shape(f"{_title(fmt, ask)}Answer", **answer))
    for (fmt, ask), (question, answer) in _SPECS.items()
}
"""(format, ask) -> (question model, answer model); format ``hpke`` for RFC 9180."""


def schema(formats: str) -> dict[str, Any]:
    """The JSON Schema of the questions and answers of ``rfc9420`` (every format but hpke) or ``rfc9180``."""
    defs: dict[str, Any] = {}
    asked: dict[str, dict[str, Any]] = {}
    for (fmt, ask), models in SHAPES.items():
        if (fmt == "hpke") != (formats == "rfc9180"):
            continue
        for model in models:
            found = model.model_json_schema(ref_template="#/$defs/{model}")
            defs.update(found.pop("$defs", {}))
            defs[model.__name__] = found
        asked.setdefault(fmt, {})[ask] = {"question": {"$ref": f"#/$defs/{models[0].__name__}"},
                                          "answer": {"$ref": f"#/$defs/{models[1].__name__}"}}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": f"xmtp-conformance {formats.upper()} vector questions and answers",
            "description": __doc__.strip().splitlines()[0], "formats": asked, "$defs": defs}
