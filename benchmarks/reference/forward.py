"""Reference for benchmarks/Benchmarks `forward`: the same forward passes in plain PyTorch on the same libtorch.

Our own implementation (no model code imported, no pip packages) of exactly the computation the C# models do, with
the same op order and dtype pipeline:

* LLaDA (src/Diffusion.Models/Architectures/Llada): RMSNorm with float32 statistics, RoPE rotate-half applied in
  float32 and rounded once to the model dtype, attention as softmax(q·√s · (k·√s)ᵀ) v (torch 1.13 has no
  F.scaled_dot_product_attention; this is the C# binding's emulation of torch 2.x's math backend), SwiGLU MLP.
  fp32: float32 weights; bf16: weights cast to bfloat16 (as LLaDA runs).
* MDLM (src/Diffusion.Models/Architectures/Mdlm): DiT with adaLN modulation, LayerNorm on float32 times a weight,
  rotary attention (same emulation), GELU-tanh MLP, gated residuals, timestep embedding of σ = 0
  (time_conditioning false). fp32: float32 weights; bf16: float32 weights under torch.autocast("cpu", bfloat16) (as
  MDLM's reference runs).

Timing: median of --repeats forwards after --warmup forwards, under no_grad, printing the C# side's line format.

--check DIR reads DIR/forward-check-MODEL.safetensors written by `Benchmarks forward --model MODEL --check DIR`
(the C# model's float32 weights, input ids and logits in both precisions), recomputes the logits here and compares.

Run with Debian's PyTorch (python3-torch):
  /usr/bin/python3 benchmarks/reference/forward.py --model llada --dtype bf16 --threads 2
"""
import argparse
import json
import math
import os
import struct
import sys
import time

import torch
import torch.nn.functional as F

VOCAB = 50258


def median_seconds(fn, warmup, repeats, clock="wall"):
    """Median duration; clock "cpu" is the process's CPU time (user + system, all threads), as the C# side."""
    now = {"wall": time.perf_counter, "cpu": time.process_time}[clock]
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = now()
        fn()
        times.append(now() - start)
    times.sort()
    mid = repeats // 2
    return times[mid] if repeats % 2 else 0.5 * (times[mid - 1] + times[mid])


# ---------------------------------------------------------------------------------------------------- shared layers

def inverse_frequencies(head_dim, theta):
    exponents = torch.arange(0, head_dim, 2, dtype=torch.float32) / float(head_dim)
    return torch.pow(float(theta), exponents).reciprocal().mul_(1.0)


def rope_angles(length, inv_freq):
    positions = torch.arange(0, length, dtype=torch.float32)
    freqs = positions.unsqueeze(-1) * inv_freq
    emb = torch.cat([freqs, freqs], -1)
    return emb.cos(), emb.sin()


def rotate_half(x):
    x1, x2 = x.chunk(2, -1)
    return torch.cat([x2.neg(), x1], -1)


def apply_rope(x, cos, sin):
    return x * cos + rotate_half(x) * sin


def attention(q, k, v):
    """softmax(q kᵀ/√d) v with q and k each scaled by d^(-1/4) first (torch 2.x math SDPA; C# emulation)."""
    root_scale = math.sqrt(1.0 / math.sqrt(q.size(-1)))
    scores = (q * root_scale).matmul((k * root_scale).transpose(-2, -1))
    return scores.softmax(-1).matmul(v)


# ---------------------------------------------------------------------------------------------------- LLaDA

def llada_config(mlp_hidden=2048):
    return dict(d_model=768, n_layers=12, n_heads=12, mlp_hidden_size=mlp_hidden, vocab=VOCAB, rope_theta=500000.0,
                rms_norm_eps=1e-5)


def rms_norm(x, weight, eps):
    dtype = x.dtype
    x32 = x if dtype == torch.float32 else x.to(torch.float32)
    normalized = x32 * x32.square().mean(-1, keepdim=True).add(eps).rsqrt()
    if dtype != torch.float32:
        normalized = normalized.to(dtype)
    return weight * normalized


def llada_shapes(cfg):
    d, m, v = cfg["d_model"], cfg["mlp_hidden_size"], cfg["vocab"]
    shapes = {"model.transformer.wte.weight": (v, d)}
    for i in range(cfg["n_layers"]):
        p = f"model.transformer.blocks.{i}."
        shapes.update({p + "attn_norm.weight": (d,), p + "q_proj.weight": (d, d), p + "k_proj.weight": (d, d),
                       p + "v_proj.weight": (d, d), p + "attn_out.weight": (d, d), p + "ff_norm.weight": (d,),
                       p + "ff_proj.weight": (m, d), p + "up_proj.weight": (m, d), p + "ff_out.weight": (d, m)})
    shapes["model.transformer.ln_f.weight"] = (d,)
    shapes["model.transformer.ff_out.weight"] = (v, d)
    return shapes


def llada_forward(w, cfg, ids):
    batch, length = ids.shape
    heads = cfg["n_heads"]
    head_dim = cfg["d_model"] // heads
    eps = cfg["rms_norm_eps"]
    x = F.embedding(ids, w["model.transformer.wte.weight"])
    cos, sin = rope_angles(length, inverse_frequencies(head_dim, cfg["rope_theta"]))
    for i in range(cfg["n_layers"]):
        p = f"model.transformer.blocks.{i}."
        h = rms_norm(x, w[p + "attn_norm.weight"], eps)
        q = F.linear(h, w[p + "q_proj.weight"]).view(batch, length, heads, head_dim).transpose(1, 2)
        k = F.linear(h, w[p + "k_proj.weight"]).view(batch, length, heads, head_dim).transpose(1, 2)
        v = F.linear(h, w[p + "v_proj.weight"]).view(batch, length, heads, head_dim).transpose(1, 2)
        q = apply_rope(q.to(torch.float32), cos, sin).to(q.dtype)
        k = apply_rope(k.to(torch.float32), cos, sin).to(k.dtype)
        a = attention(q, k, v).transpose(1, 2).reshape(batch, length, heads * head_dim)
        x = x + F.linear(a, w[p + "attn_out.weight"])
        h = rms_norm(x, w[p + "ff_norm.weight"], eps)
        x = x + F.linear(F.silu(F.linear(h, w[p + "ff_proj.weight"])) * F.linear(h, w[p + "up_proj.weight"]),
                         w[p + "ff_out.weight"])
    x = rms_norm(x, w["model.transformer.ln_f.weight"], eps)
    return F.linear(x, w["model.transformer.ff_out.weight"])


# ---------------------------------------------------------------------------------------------------- MDLM

FREQUENCY_EMBEDDING_SIZE = 256


def mdlm_config():
    return dict(hidden_dim=768, n_blocks=12, n_heads=12, cond_dim=128, vocab=VOCAB)


def mdlm_shapes(cfg):
    d, c, v = cfg["hidden_dim"], cfg["cond_dim"], cfg["vocab"]
    shapes = {"backbone.vocab_embed.embedding": (v, d),
              "backbone.sigma_map.mlp.0.weight": (c, FREQUENCY_EMBEDDING_SIZE), "backbone.sigma_map.mlp.0.bias": (c,),
              "backbone.sigma_map.mlp.2.weight": (c, c), "backbone.sigma_map.mlp.2.bias": (c,)}
    for i in range(cfg["n_blocks"]):
        p = f"backbone.blocks.{i}."
        shapes.update({p + "norm1.weight": (d,), p + "attn_qkv.weight": (3 * d, d), p + "attn_out.weight": (d, d),
                       p + "norm2.weight": (d,), p + "mlp.0.weight": (4 * d, d), p + "mlp.0.bias": (4 * d,),
                       p + "mlp.2.weight": (d, 4 * d), p + "mlp.2.bias": (d,),
                       p + "adaLN_modulation.weight": (6 * d, c), p + "adaLN_modulation.bias": (6 * d,)})
    shapes.update({"backbone.output_layer.norm_final.weight": (d,),
                   "backbone.output_layer.linear.weight": (v, d), "backbone.output_layer.linear.bias": (v,),
                   "backbone.output_layer.adaLN_modulation.weight": (2 * d, c),
                   "backbone.output_layer.adaLN_modulation.bias": (2 * d,)})
    return shapes


def mdlm_layer_norm(x, weight):
    return F.layer_norm(x.to(torch.float32), [x.size(-1)]) * weight


def modulate(x, shift, scale):
    return x * (scale + 1.0) + shift


def mdlm_forward(w, cfg, ids):
    batch, length = ids.shape
    d, heads = cfg["hidden_dim"], cfg["n_heads"]
    head_dim = d // heads
    x = F.embedding(ids, w["backbone.vocab_embed.embedding"])
    # σ = 0 (time_conditioning false); timestep_embedding: cos first.
    sigma = torch.zeros(batch, dtype=torch.float32)
    half = FREQUENCY_EMBEDDING_SIZE // 2
    freqs = (torch.arange(0, half, dtype=torch.float32) * -math.log(10000)).div(half).exp()
    args = sigma.unsqueeze(1) * freqs.unsqueeze(0)
    embedding = torch.cat([args.cos(), args.sin()], -1)
    c = F.silu(F.linear(embedding, w["backbone.sigma_map.mlp.0.weight"], w["backbone.sigma_map.mlp.0.bias"]))
    c = F.silu(F.linear(c, w["backbone.sigma_map.mlp.2.weight"], w["backbone.sigma_map.mlp.2.bias"]))
    cos, sin = rope_angles(length, inverse_frequencies(head_dim, 10000))
    for i in range(cfg["n_blocks"]):
        p = f"backbone.blocks.{i}."
        mod = F.linear(c, w[p + "adaLN_modulation.weight"], w[p + "adaLN_modulation.bias"]).unsqueeze(1).chunk(6, 2)
        shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp = mod
        h = modulate(mdlm_layer_norm(x, w[p + "norm1.weight"]), shift_msa, scale_msa)
        qkv = F.linear(h, w[p + "attn_qkv.weight"]).view(batch, length, 3, heads, head_dim)
        rc = cos.to(qkv.dtype).unsqueeze(1)
        rs = sin.to(qkv.dtype).unsqueeze(1)
        q = apply_rope(qkv.select(2, 0), rc, rs).transpose(1, 2)
        k = apply_rope(qkv.select(2, 1), rc, rs).transpose(1, 2)
        v = qkv.select(2, 2).transpose(1, 2)
        a = attention(q, k, v).transpose(1, 2).reshape(batch, length, d)
        x = x + gate_msa * F.linear(a, w[p + "attn_out.weight"])
        h = modulate(mdlm_layer_norm(x, w[p + "norm2.weight"]), shift_mlp, scale_mlp)
        hidden = F.gelu(F.linear(h, w[p + "mlp.0.weight"], w[p + "mlp.0.bias"]), approximate="tanh")
        x = x + gate_mlp * F.linear(hidden, w[p + "mlp.2.weight"], w[p + "mlp.2.bias"])
    mod = F.linear(c, w["backbone.output_layer.adaLN_modulation.weight"],
                   w["backbone.output_layer.adaLN_modulation.bias"]).unsqueeze(1).chunk(2, 2)
    h = modulate(mdlm_layer_norm(x, w["backbone.output_layer.norm_final.weight"]), mod[0], mod[1])
    return F.linear(h, w["backbone.output_layer.linear.weight"], w["backbone.output_layer.linear.bias"])


# ---------------------------------------------------------------------------------------------------- models

MODELS = {"llada": (llada_config, llada_shapes, llada_forward), "mdlm": (mdlm_config, mdlm_shapes, mdlm_forward)}


def random_weights(shapes):
    """PyTorch default initialisation, as the C# constructors do: Linear U(±1/√in), embeddings N(0,1), norms 1."""
    w = {}
    for name, shape in shapes.items():
        if name.endswith("embedding") or name.endswith("wte.weight"):
            w[name] = torch.randn(shape)
        elif name.endswith("weight") and len(shape) == 1:  # RMSNorm / LayerNorm scales
            w[name] = torch.ones(shape)
        else:
            fan_in = shapes[name[:-len("bias")] + "weight"][1] if name.endswith("bias") else shape[1]
            bound = 1.0 / math.sqrt(fan_in)
            w[name] = torch.empty(shape).uniform_(-bound, bound)
    return w


def dtype_name(dtype):
    return {torch.float32: "Float32", torch.bfloat16: "BFloat16"}[dtype]


def run_forward(model, w, cfg, ids, dtype):
    """One forward in the benchmark's precision mode (w already holds the weights in the right dtype)."""
    forward = MODELS[model][2]
    if model == "mdlm" and dtype == torch.bfloat16:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return forward(w, cfg, ids)
    return forward(w, cfg, ids)


def cast_weights(model, w, dtype):
    if model == "mdlm":  # bf16 = autocast over float32 weights
        return w
    return {k: v.to(dtype) for k, v in w.items()}


def benchmark(args):
    config_fn, shapes_fn, _ = MODELS[args.model]
    cfg = config_fn(args.mlp_hidden) if args.model == "llada" else config_fn()
    torch.manual_seed(0)
    w32 = random_weights(shapes_fn(cfg))
    n_params = sum(t.numel() for t in w32.values())
    ids = torch.randint(0, VOCAB, (args.batch, args.length))
    dtypes = {"fp32": [torch.float32], "bf16": [torch.bfloat16], "both": [torch.float32, torch.bfloat16]}[args.dtype]
    with torch.no_grad():
        for dtype in dtypes:
            w = cast_weights(args.model, w32, dtype)
            seconds = median_seconds(lambda: run_forward(args.model, w, cfg, ids, dtype), args.warmup, args.repeats,
                                     args.clock)
            print(f"forward {args.model:<5} {dtype_name(dtype):<8} B={args.batch} L={args.length} threads={args.threads} "
                  f"params={n_params / 1e6:.2f}M: {seconds * 1e3:9.1f} ms  {args.batch * args.length / seconds:8.0f} tok/s"
                  + ("  (CPU time)" if args.clock == "cpu" else ""), flush=True)
            del w


# ---------------------------------------------------------------------------------------------------- check

SAFETENSORS_DTYPES = {"F32": torch.float32, "F64": torch.float64, "F16": torch.float16, "BF16": torch.bfloat16,
                      "I64": torch.int64, "I32": torch.int32, "U8": torch.uint8, "BOOL": torch.bool}


def read_safetensors(path):
    """Minimal safetensors reader: u64 LE header length, JSON header, little-endian C-contiguous data."""
    with open(path, "rb") as f:
        data = bytearray(f.read())
    header_len = struct.unpack("<Q", bytes(data[:8]))[0]
    header = json.loads(bytes(data[8:8 + header_len]).decode("utf-8"))
    metadata = header.pop("__metadata__", {}) or {}
    base = 8 + header_len
    tensors = {}
    for name, info in header.items():
        dtype = SAFETENSORS_DTYPES[info["dtype"]]
        start, end = info["data_offsets"]
        shape = info["shape"]
        itemsize = torch.empty(0, dtype=dtype).element_size()
        count = (end - start) // itemsize
        if count == 0:
            tensors[name] = torch.empty(shape, dtype=dtype)
        else:
            tensors[name] = torch.frombuffer(data, dtype=dtype, count=count, offset=base + start).reshape(shape).clone()
    return tensors, metadata


def check(args):
    path = os.path.join(args.check, f"forward-check-{args.model}.safetensors")
    tensors, metadata = read_safetensors(path)
    cfg = json.loads(metadata["config"])
    ids = tensors.pop("input_ids")
    expected = {torch.float32: tensors.pop("logits.Float32"), torch.bfloat16: tensors.pop("logits.BFloat16")}
    w32 = tensors
    ok = True
    with torch.no_grad():
        for dtype, reference in expected.items():
            w = cast_weights(args.model, w32, dtype)
            logits = run_forward(args.model, w, cfg, ids, dtype)
            if logits.dtype != reference.dtype:
                print(f"check {args.model} {dtype_name(dtype)}: dtype {logits.dtype} here, {reference.dtype} in C#")
                ok = False
                continue
            diff = (logits.float() - reference.float()).abs()
            scale = reference.float().abs().max().item()
            identical = (logits == reference).float().mean().item()
            tolerance = 1e-4 if dtype == torch.float32 else 2e-2 * max(1.0, scale)
            passed = diff.max().item() <= tolerance
            ok &= passed
            print(f"check {args.model} {dtype_name(dtype):<8}: logits {list(logits.shape)} {str(logits.dtype)[6:]}, "
                  f"max|ref| {scale:.3g}, max abs diff {diff.max().item():.3g}, mean {diff.mean().item():.3g}, "
                  f"bit-identical {identical * 100:.1f}% -> {'OK' if passed else 'MISMATCH'} (tolerance {tolerance:.3g})")
    return 0 if ok else 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=sorted(MODELS), default="llada")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--length", type=int, default=256)
    parser.add_argument("--dtype", choices=["fp32", "bf16", "both"], default="both")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--mlp-hidden", type=int, default=2048)
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall")
    parser.add_argument("--check", metavar="DIR", help="compare with the C# model's logits written by --check DIR")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.check:
        sys.exit(check(args))
    benchmark(args)


if __name__ == "__main__":
    main()
