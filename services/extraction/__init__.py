"""The local extraction engine: a card's image in, the seed's fields with confidences out.

Only the engine's stages live here; what a value must look like is the domain's
(`services.domain`), and the image bytes are accepted by `services.core.images`.
"""
