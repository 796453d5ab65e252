"""Training pipeline: stage CIFAR-100 vehicles, fine-tune, evaluate, calibrate, export ONNX."""
