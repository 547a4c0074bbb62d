"""`docker run IMAGE train`: one SageMaker training job in this container (`accelerate launch` on several GPUs).

Reads the /opt/ml tree (contract.py), trains with checkpoints in /opt/ml/checkpoints (resumed when
a restarted job finds some there), saves the model to /opt/ml/model, prints metric lines
(metrics.py), and on any failure writes a one-line reason to /opt/ml/output/failure and exits
non-zero. SIGTERM (SageMaker's stop, SIGKILL 120 s later) saves a checkpoint first.
"""

from __future__ import annotations

import json
import logging
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from types import FrameType

from rlvr.sagemaker.contract import (
    OptML,
    failure_reason,
    read_hyperparameters,
    recipe_from_hyperparameters,
    write_failure,
)
from rlvr.sagemaker.metrics import metrics_to_stdout, stdout_metrics_callback

log = logging.getLogger(__name__)

STOPPED = 143  # 128 + SIGTERM
PORT = 29500  # accelerate's rendezvous port on the first host


def run_training_job(root: Path, worker: bool = False) -> int:
    """The job's exit status: 0 when the model is in `<root>/model`, else non-zero with the failure file written."""
    opt = OptML(root)
    metrics_to_stdout()
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        cfg = recipe_from_hyperparameters(read_hyperparameters(opt), opt)
        command = None if worker else launch_command(opt, _gpus())
        if command is not None:
            log.info("several GPUs or hosts: %s", " ".join(command))
            launcher = subprocess.Popen(command)
            # SIGTERM goes to the launcher, which passes it to every rank: each saves before SIGKILL.
            signal.signal(signal.SIGTERM, lambda signum, _: launcher.send_signal(signum))
            status = launcher.wait()
            if status:
                write_failure(opt, f"training processes exited with status {status}; the job's log says why")
            return status
        from rlvr.trainer.train import train

        log.info("training job: %s", json.dumps(cfg.to_dict()))
        train(cfg, resume=True, callbacks=[stdout_metrics_callback()], final_dir=opt.model)
        keep_records(opt)
        return 0
    except KeyboardInterrupt:
        write_failure(opt, f"stopped by SIGTERM; a job with the same checkpoints ({opt.checkpoints}) resumes the run")
        return STOPPED
    except Exception as exc:
        log.exception("training job failed")
        write_failure(opt, failure_reason(exc))
        return 1
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # train() saves a checkpoint on KeyboardInterrupt


def _gpus() -> int:
    import torch

    return int(torch.cuda.device_count())


def launch_command(opt: OptML, gpus: int) -> list[str] | None:
    """`accelerate launch` of this entry on every GPU of every host, or None for one process.

    Hosts come from resourceconfig.json (`hosts`, sorted, and `current_host`); the first is the
    rendezvous. Written for multi-GPU instances; not run here (no GPU).
    """
    hosts, current = ["algo-1"], "algo-1"
    if opt.resource_config.exists():
        resources = json.loads(opt.resource_config.read_text())
        hosts, current = resources.get("hosts", hosts), resources.get("current_host", current)
    if gpus <= 1 and len(hosts) <= 1:
        return None
    per_host = max(gpus, 1)
    return [
        sys.executable, "-m", "accelerate.commands.launch",
        *(["--multi_gpu"] if per_host * len(hosts) > 1 else []),
        "--num_processes", str(per_host * len(hosts)),
        "--num_machines", str(len(hosts)),
        "--machine_rank", str(hosts.index(current)),
        "--main_process_ip", hosts[0],
        "--main_process_port", str(PORT),
        "--module", "rlvr.cli", "sagemaker", "container-train", "--opt-ml", str(opt.root), "--worker",
    ]  # fmt: skip


def keep_records(opt: OptML) -> None:
    """metrics.jsonl and run_manifest.json into output/data (SageMaker uploads it as output.tar.gz)."""
    opt.output_data.mkdir(parents=True, exist_ok=True)
    for name in ("metrics.jsonl", "run_manifest.json"):
        if (opt.checkpoints / name).exists():
            shutil.copy2(opt.checkpoints / name, opt.output_data / name)
