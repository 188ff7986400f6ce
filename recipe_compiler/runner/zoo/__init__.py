"""What the runner can train offline: models built from their definitions with
random initial weights, and data made or shipped on the machine.

`models` (the built-in model names → constructors), `yolov5` (YOLOv5 v6.0+),
`data` (scikit-learn's digits), `detection` (generated detection data and YOLOv5's
loss), `detection_metrics` (mAP as YOLOv5's val.py computes it), `tasks` (a model
with its loss, data and score: built-in, or a user's `pkg.module:factory`).

May import: torch, `model/` (the factory protocol), `deploy/files` (the same NMS
the deploy folder serves) and the ground floor; nothing else of the runner.
"""
