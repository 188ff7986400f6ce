"""How close the compressed model stays to the dense one on held-out tokens: at
every position, the KL divergence of the compressed model's next-token
distribution from the dense one's, KL(dense || compressed), and whether their
most likely next tokens agree; averaged over every position of every held-out
sequence, one sequence at a time. The compressed model is oneshot's, in memory
(its forward quantizes as the scheme says: activations too); positions where
either model's logits are not finite are counted, not averaged (a broken dense
checkpoint says so instead of making every figure NaN)."""

from __future__ import annotations

from typing import Any


def closeness(dense: Any, compressed: Any, held_out: list[list[int]]) -> dict[str, Any]:
    import torch

    kl_sum, agree, tokens, broken = 0.0, 0, 0, 0
    per_sequence = []
    with torch.no_grad():
        for ids in held_out:
            x = torch.tensor([ids])
            p = dense(input_ids=x).logits.float().log_softmax(-1)[0]
            q = compressed(input_ids=x).logits.float().log_softmax(-1)[0]
            ok = torch.isfinite(p).all(-1) & torch.isfinite(q).all(-1)
            p, q = p[ok], q[ok]
            kl = (p.exp() * (p - q)).sum(-1).clamp_min(0)
            kl_sum += float(kl.sum())
            agree += int((p.argmax(-1) == q.argmax(-1)).sum())
            tokens += int(ok.sum())
            broken += len(ids) - int(ok.sum())
            if len(kl):
                per_sequence.append(float(kl.mean()))
    return {
        "kl_mean": kl_sum / tokens if tokens else None,
        "top1_agreement": agree / tokens if tokens else None,
        "tokens": tokens,
        "non_finite_positions": broken,
        "sequences": len(held_out),
        "kl_per_sequence": per_sequence,
    }
