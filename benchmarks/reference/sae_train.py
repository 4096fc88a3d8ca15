"""Reference for benchmarks/Benchmarks `sae-train`: a plain-PyTorch TopK SAE trainer with the same math as
DiffusionSteering's SaeTrainer, but a dense decoder (z scattered to [B, d_sae] and multiplied by W_dec), as
dictionary_learning's TopKTrainer does.

Same recipe: z = TopK_k(ReLU((x - b_dec) W_enc + b_enc)), x_hat = z W_dec + b_dec; loss = mean_b ||x - x_hat||^2
(+ AuxK/32 on dead latents, none in a short run); activations divided by sqrt(E||x||^2) of the first batch; b_dec =
geometric median (Weiszfeld) of the first batch; W_enc = W_dec^T with random unit decoder rows; Adam(0.9, 0.999),
lr 2e-4/sqrt(d_sae/2^14) with linear warm-up; decoder-gradient component parallel to each row removed; joint
gradient clip 1.0; decoder rows renormalised after the step.

Run with Debian's PyTorch (python3-torch):
  /usr/bin/python3 benchmarks/reference/sae_train.py --d-in 768 --d-sae 16384 --k 32 --batch 4096 --steps 5 --threads 2
"""
import argparse
import math
import time

import torch


def geometric_median(points, max_iter=100, tol=1e-5):
    x = points.double()
    guess = x.mean(dim=0)
    for _ in range(max_iter):
        weights = 1.0 / (x - guess).norm(dim=1).clamp_min(1e-12)
        weights = weights / weights.sum()
        new = (weights.unsqueeze(1) * x).sum(dim=0)
        moved = (new - guess).norm().item()
        guess = new
        if moved < tol:
            break
    return guess.to(points.dtype)


class TopKSae(torch.nn.Module):
    def __init__(self, d_in, d_sae, k, generator):
        super().__init__()
        w_dec = torch.randn(d_sae, d_in, generator=generator)
        w_dec = w_dec / w_dec.norm(dim=1, keepdim=True)
        self.W_dec = torch.nn.Parameter(w_dec)
        self.W_enc = torch.nn.Parameter(w_dec.t().contiguous())
        self.b_enc = torch.nn.Parameter(torch.zeros(d_sae))
        self.b_dec = torch.nn.Parameter(torch.zeros(d_in))
        self.k = k

    def forward(self, x):
        post = torch.relu((x - self.b_dec) @ self.W_enc + self.b_enc)
        values, indices = post.topk(self.k, dim=-1)
        z = torch.zeros_like(post).scatter(-1, indices, values)
        return z @ self.W_dec + self.b_dec, post, values, indices


class Trainer:
    def __init__(self, d_in, d_sae, k, total_steps, warmup_steps=1000, dead_window=10_000_000, seed=0):
        generator = torch.Generator().manual_seed(seed)
        self.sae = TopKSae(d_in, d_sae, k, generator)
        self.lr = 2e-4 / math.sqrt(d_sae / 2 ** 14)
        self.opt = torch.optim.Adam(self.sae.parameters(), lr=self.lr, betas=(0.9, 0.999))
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps
        self.decay_start = int(0.8 * total_steps)
        self.k_aux = d_in // 2
        self.dead_window = dead_window
        self.tokens_since_fired = torch.zeros(d_sae, dtype=torch.long)
        self.scale = None
        self.step = 0

    def lr_factor(self, step):
        factor = min(1.0, (step + 1) / self.warmup_steps) if self.warmup_steps > 0 else 1.0
        if step >= self.decay_start and self.total_steps > self.decay_start:
            factor = min(factor, max(0.0, (self.total_steps - step) / (self.total_steps - self.decay_start)))
        return factor

    def train_step(self, x):
        sae = self.sae
        if self.scale is None:
            self.scale = math.sqrt(x.double().pow(2).sum(1).mean().item())
            with torch.no_grad():
                sae.b_dec.copy_(geometric_median(x / self.scale))
        x = x / self.scale
        for group in self.opt.param_groups:
            group["lr"] = self.lr * self.lr_factor(self.step)
        dead = self.tokens_since_fired >= self.dead_window
        x_hat, post, values, indices = sae(x)
        loss = (x_hat - x).pow(2).sum(-1).mean()
        if dead.any():
            k_aux = min(self.k_aux, int(dead.sum()))
            aux_values, aux_indices = torch.where(dead[None], post, -torch.inf).topk(k_aux, dim=-1)
            aux_recon = torch.zeros_like(post).scatter(-1, aux_indices, aux_values) @ sae.W_dec
            residual = (x - x_hat).detach()
            denominator = (residual - residual.mean(0, keepdim=True)).pow(2).sum(-1).mean()
            loss = loss + ((residual - aux_recon).pow(2).sum(-1).mean() / denominator).nan_to_num(0.0) / 32
        loss.backward()
        with torch.no_grad():
            fired = torch.zeros_like(dead)
            fired[indices[values > 0]] = True
            self.tokens_since_fired += x.shape[0]
            self.tokens_since_fired[fired] = 0
            w = sae.W_dec
            normed = w / (w.norm(dim=1, keepdim=True) + 1e-6)
            sae.W_dec.grad -= (sae.W_dec.grad * normed).sum(1, keepdim=True) * normed
        torch.nn.utils.clip_grad_norm_(sae.parameters(), 1.0)
        self.opt.step()
        self.opt.zero_grad()
        with torch.no_grad():
            sae.W_dec /= sae.W_dec.norm(dim=1, keepdim=True).clamp_min(1e-12)
        self.step += 1
        return loss.item()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--d-in", type=int, default=768)
    parser.add_argument("--d-sae", type=int, default=16384)
    parser.add_argument("--k", type=int, default=32)
    parser.add_argument("--batch", type=int, default=4096)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    trainer = Trainer(args.d_in, args.d_sae, args.k, total_steps=args.warmup + args.steps)
    generator = torch.Generator().manual_seed(0)
    pool = [torch.randn(args.batch, args.d_in, generator=generator) * 2 + 0.5 for _ in range(4)]
    for i in range(args.warmup):
        trainer.train_step(pool[i % len(pool)])
    times = []
    loss = 0.0
    for i in range(args.steps):
        start = time.perf_counter()
        loss = trainer.train_step(pool[(args.warmup + i) % len(pool)])
        times.append(time.perf_counter() - start)
    times.sort()
    mid = args.steps // 2
    median = times[mid] if args.steps % 2 else 0.5 * (times[mid - 1] + times[mid])
    print(f"sae-train TopK d_in={args.d_in} d_sae={args.d_sae} k={args.k} batch={args.batch} threads={args.threads}: "
          f"{median * 1e3:9.1f} ms/step (median of {args.steps})  {args.batch / median:9.0f} tokens/s  (loss {loss:.4f})")


if __name__ == "__main__":
    main()
