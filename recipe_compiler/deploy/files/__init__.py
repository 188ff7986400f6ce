"""Files copied into a run's `DIR/deploy/`, to be executed by DeepSparse, not by us.

`processing.py` is copied as it is (the pre- and post-processing DeepSparse's
`custom` pipeline loads with `processing_file=`; `deploy.json` beside it says
whether it serves YOLO or digits), and `task.py` becomes `deploy/serving_task.py`
(the task `server.yaml` names, which gives that pipeline its input and output
schemas). They import numpy, Pillow and pydantic only (fastapi and deepsparse when
a server calls them), never recipe_compiler: a deploy folder runs where DeepSparse
alone is installed.

May import: numpy, Pillow, pydantic (fastapi, deepsparse inside functions); nothing
of recipe_compiler (a test holds them to it).
"""
