"""Lesson 05: held-out loss row by row, to compare training methods on the same rows with intervals.

    row_losses           per chat row, the mean cross-entropy of the model on the assistant reply's
                         tokens (teacher forcing): the number a fine-tune lowers
    loss_gain_share      the share of a reference arm's loss reduction that another arm achieves
                         ("LoRA reaches 90-95% of full fine-tuning"), with a paired bootstrap interval
    equivalence_verdict  whether a difference interval lies inside a margin ("NF4 loses nothing
                         meaningful" is a claim of equivalence, which a difference test cannot make)

The reply tokens are the ones training learns (lesson 04's assistant mask,
`course_utils.dataset.chat_format.tokenize_with_mask`: the reply's content and its end-of-turn
token), so a row's loss here is the loss the trainer's `assistant_only_loss` minimises on it.
Every arm is scored on the same rows, so the per-row losses are paired:
`course_utils.evaluate.stats.paired_test(loss_a, loss_b)` gives the mean difference with its interval.

What this leaves out: losses of multi-turn rows turn by turn (every assistant turn of a row counts
in its one mean), perplexity over whole documents, and generation-based scores (lesson 06's
`course_utils.evaluate.systems`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from course_utils.dataset.chat_format import IGNORE_INDEX, tokenize_with_mask
from course_utils.model.load import format_messages
from course_utils.evaluate.reply_cache import ReplyCache, model_identity


def reply_labels(row, tokenizer, preset_name: str | None = None) -> tuple[list[int], list[int]]:
    """Lesson 05. (input_ids, labels) of one chat row: labels equal the ids on the assistant reply
    (content and end token) and -100 elsewhere. `preset_name` folds a system message into the
    first user turn for templates without a system role (Mistral), as training does."""
    messages = row.get("messages") if isinstance(row, dict) else row
    if not isinstance(messages, list) or not messages or messages[-1].get("role") != "assistant":
        rid = row.get("id") if isinstance(row, dict) else None
        raise ValueError(f"row {rid!r}: expected a 'messages' list ending with the assistant reply "
                         f"whose loss is measured")
    enc = tokenize_with_mask(format_messages(messages, preset_name), tokenizer)
    if not any(lab != IGNORE_INDEX for lab in enc["labels"]):
        raise ValueError(f"row {row.get('id') if isinstance(row, dict) else None!r}: the reply "
                         f"has no tokens (empty assistant message?)")
    return enc["input_ids"], enc["labels"]


def _model_device(model):
    device = getattr(model, "device", None)
    return device if device is not None else next(model.parameters()).device


def row_losses(model, tokenizer, rows: Sequence[dict], *, batch_size: int = 8, progress: bool = True,
               preset_name: str | None = None, desc: str = "reply loss", cache: bool = True):
    """Lesson 05. A numpy array: per row, the mean cross-entropy (nats per token) of `model` on
    the assistant reply's tokens given the conversation before it (teacher forcing).

    Works for a plain model, a PeftModel (with its active adapter) and a 4-bit NF4 model. The
    model runs in eval mode (no dropout) without gradients and is put back in the mode it was in.
    Rows are batched by length (right-padded; padding is masked out) and the losses returned in
    the rows' order, with a progress bar and its ETA unless `progress=False`. With `cache`, a
    row this same model scored before (`reply_cache.model_identity`) is read from runs/reply_cache/.
    """
    import torch
    from tqdm.auto import tqdm

    if batch_size < 1:
        raise ValueError(f"batch_size={batch_size}: use 1 or more")
    if isinstance(rows, dict):
        raise TypeError("rows: expected a list of chat rows; for one row pass [row]")
    encoded = [reply_labels(r, tokenizer, preset_name) for r in rows]
    limit = getattr(getattr(model, "config", None), "max_position_embeddings", None)
    longest = max((len(ids) for ids, _ in encoded), default=0)
    if limit and longest > limit:
        raise ValueError(f"a row has {longest} tokens, more than the model's {limit} positions; "
                         f"drop the over-long rows (lesson 04's curation caps lengths)")
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    device = _model_device(model)
    losses = np.zeros(len(encoded), dtype=np.float64)
    store = ReplyCache(model_identity(model)) if cache else None
    keys = [ReplyCache.key("row_loss", ids, labels) for ids, labels in encoded]
    todo = [i for i, k in enumerate(keys) if store is None or store.get(k) is None]
    for i in set(range(len(encoded))) - set(todo):
        losses[i] = store.get(keys[i])
    order = sorted(todo, key=lambda i: len(encoded[i][0]))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), tqdm(total=len(order), desc=desc, unit="row", disable=not progress,
                                   leave=False) as bar:
            for start in range(0, len(order), batch_size):
                batch = order[start:start + batch_size]
                width = max(len(encoded[i][0]) for i in batch)
                ids = torch.full((len(batch), width), pad, dtype=torch.long)
                labels = torch.full((len(batch), width), IGNORE_INDEX, dtype=torch.long)
                attention = torch.zeros((len(batch), width), dtype=torch.long)
                for j, i in enumerate(batch):
                    n = len(encoded[i][0])
                    ids[j, :n] = torch.tensor(encoded[i][0])
                    labels[j, :n] = torch.tensor(encoded[i][1])
                    attention[j, :n] = 1
                logits = model(input_ids=ids.to(device), attention_mask=attention.to(device)).logits
                losses[batch] = _mean_reply_loss(logits, labels.to(logits.device)).cpu().numpy()
                for i in batch if store is not None else ():
                    store.put(keys[i], float(losses[i]))
                bar.update(len(batch))
    finally:
        model.train(was_training)
        if store is not None:
            store.save()
    return losses


def _mean_reply_loss(logits, labels):
    """Per row: the mean cross-entropy of the next-token predictions on the labelled positions."""
    import torch.nn.functional as F

    pred, target = logits[:, :-1, :].float(), labels[:, 1:]   # position t predicts token t+1
    nll = F.cross_entropy(pred.reshape(-1, pred.shape[-1]), target.reshape(-1),
                          ignore_index=IGNORE_INDEX, reduction="none").view(target.shape)
    counted = (target != IGNORE_INDEX).sum(dim=1)
    return nll.sum(dim=1) / counted.clamp(min=1)


# ----------------------------------------------------------------------------------------------
# Reading the paired losses


def _paired_arrays(**arrays) -> list[np.ndarray]:
    out = [np.asarray(v, dtype=float) for v in arrays.values()]
    shapes = {k: v.shape for k, v in zip(arrays, out)}
    if len(set(shapes.values())) != 1 or out[0].ndim != 1 or not len(out[0]):
        raise ValueError(f"expected per-row losses of the same rows for every arm (equal, non-empty "
                         f"1-D arrays); got shapes {shapes}")
    if not all(np.isfinite(v).all() for v in out):
        raise ValueError("a per-row loss is not finite (NaN or inf): check the arm that produced it")
    return out


def loss_gain_share(base, arm, reference, *, n_boot: int = 5000, level: float = 0.95,
                    seed: int = 0) -> dict:
    """Lesson 05. How much of the reference arm's loss reduction `arm` achieves, on the same rows.

    share = (mean(base) - mean(arm)) / (mean(base) - mean(reference)): 1.0 means `arm` lowers the
    held-out loss as much as the reference (e.g. full fine-tuning), 0.9 means 90% of it. The
    interval is a paired percentile bootstrap: rows are resampled together for the three arms.
    A resample in which the reference no longer lowers the loss has no meaningful share; when
    more of them than the interval's tail (2.5% at level 0.95) occur, the reference's gain is not
    distinguishable from zero and the interval is reported unbounded (-inf, inf).
    Returns {"share", "low", "high", "gain_arm", "gain_reference", "n", "undefined_resamples"}.
    Raises ValueError when the reference does not lower the mean loss at all.
    """
    b, a, r = _paired_arrays(base=base, arm=arm, reference=reference)
    gain_ref, gain_arm = float(b.mean() - r.mean()), float(b.mean() - a.mean())
    if gain_ref <= 0:
        raise ValueError(f"reference: its mean loss {r.mean():.4f} is not below the base's "
                         f"{b.mean():.4f}, so there is no reduction to take a share of; check the "
                         f"arms' order (base, arm, reference)")
    if not 0 < level < 1:
        raise ValueError(f"level={level}: a confidence level between 0 and 1, e.g. 0.95")
    idx = np.random.default_rng(seed).integers(0, len(b), size=(n_boot, len(b)))
    num = b[idx].mean(axis=1) - a[idx].mean(axis=1)
    den = b[idx].mean(axis=1) - r[idx].mean(axis=1)
    defined = den > 0
    tail = (1 - level) / 2
    if (~defined).mean() > tail:
        low, high = -np.inf, np.inf
    else:
        low, high = np.quantile(num[defined] / den[defined], [tail, 1 - tail])
    return {"share": gain_arm / gain_ref, "low": float(low), "high": float(high),
            "gain_arm": gain_arm, "gain_reference": gain_ref, "n": len(b),
            "undefined_resamples": int((~defined).sum())}


def _interval(diff_interval) -> tuple[float, float]:
    if isinstance(diff_interval, dict):
        if "low" not in diff_interval or "high" not in diff_interval:
            raise ValueError(f"diff_interval: a dict needs 'low' and 'high' (as paired_test returns); "
                             f"got keys {sorted(diff_interval)}")
        return float(diff_interval["low"]), float(diff_interval["high"])
    values = tuple(diff_interval)
    if len(values) == 2:
        return float(values[0]), float(values[1])
    if len(values) == 3:     # (estimate, low, high), as bootstrap_ci returns
        return float(values[1]), float(values[2])
    raise ValueError(f"diff_interval={diff_interval!r}: give paired_test's dict, (low, high) or "
                     f"(estimate, low, high)")


def equivalence_verdict(diff_interval, margin: float) -> str:
    """Lesson 05. Whether a difference is negligible, read from its interval and a margin.

    A difference test ("is the interval away from zero?") cannot support "NF4 loses nothing
    meaningful": an interval that includes zero may still include large losses. That claim needs
    an equivalence test: fix beforehand the largest difference that would not matter (`margin`,
    in the difference's units, e.g. 0.02 nats of held-out loss) and check the whole interval lies
    inside ±margin. With a 90% interval (`paired_test(..., level=0.90)`) this is the two one-sided
    tests procedure (TOST) at the 5% level; a 95% interval is stricter.

    diff_interval: `paired_test`'s dict (its low/high), (low, high), or (estimate, low, high).
    Returns "equivalent" (inside ±margin), "different" (entirely outside) or "not settled"
    (straddling a bound: more rows are needed), each with the numbers.
    """
    if not isinstance(margin, (int, float)) or isinstance(margin, bool) or not margin > 0:
        raise ValueError(f"margin={margin!r}: the largest difference that would not matter, a "
                         f"positive number in the difference's units (e.g. 0.02 nats of loss)")
    low, high = _interval(diff_interval)
    if low > high:
        raise ValueError(f"diff_interval: low {low} is above high {high}")
    span = f"interval [{low:+.4f}, {high:+.4f}]"
    if -margin <= low and high <= margin:
        return (f"equivalent: the {span} lies inside ±{margin:g}, so any difference is smaller "
                f"than the margin")
    if high < -margin or low > margin:
        return (f"different: the {span} lies entirely outside ±{margin:g}, so the difference is "
                f"larger than the margin")
    return (f"not settled: the {span} straddles ±{margin:g}; the data allow both a negligible and "
            f"a meaningful difference (more rows narrow the interval)")


def noninferiority_verdict(diff_interval, margin: float) -> str:
    """Lesson 05. Whether an arm is *not meaningfully worse* than a reference, from the interval of
    (arm - reference) in a lower-is-better unit (held-out loss) and a margin fixed beforehand.

    "NF4 loses nothing meaningful" is a one-sided claim: QLoRA doing better than LoRA does not
    contradict it, so the test is non-inferiority, not equivalence: supported when the interval's
    upper end stays below +margin, contradicted when its lower end lies above +margin, not settled
    when the interval straddles +margin.
    """
    if not isinstance(margin, (int, float)) or isinstance(margin, bool) or not margin > 0:
        raise ValueError(f"margin={margin!r}: the largest loss that would not matter, a positive "
                         f"number in the difference's units (e.g. 0.05 nats of held-out loss)")
    low, high = _interval(diff_interval)
    span = f"interval [{low:+.3f}, {high:+.3f}]"
    if high <= margin:
        return (f"supported: the {span} stays below +{margin:.3f}, so any loss is smaller than the "
                f"margin")
    if low > margin:
        return f"contradicted: the {span} lies above +{margin:.3f}, a loss larger than the margin"
    return (f"not settled: the {span} reaches past +{margin:.3f}; more rows would narrow it")
