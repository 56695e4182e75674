"""Training the engine's text-line recogniser (`python -m tools.train_recognizer`): training lines
cut from generated certificates and random-text sheets (`lines`, `sheets`, `texts`, `render`), the
model (`model`), training with checkpoints (`train`) and the ONNX export the engine runs
(`export`). PyTorch is needed here only (requirements-train.txt), never by the engine.
"""
