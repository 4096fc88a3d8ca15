using DiffusionSteering.Sae.Core.Architectures;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Sae.Core.Training;

/// <summary>
/// Trains one SAE, one batch of activations per <see cref="TrainStep"/>: Adam with warm-up and linear decay, gradient
/// clipping, a unit-norm decoder whose gradient loses its component parallel to each decoder row, b_dec initialised
/// from the first batch, AuxK for dead latents, and the per-architecture sparsity rule.
/// </summary>
/// <remarks>
/// TopK and MultiTopK take a sparse path: the encoder runs without autograd in chunks, only the k selected
/// pre-activations enter the graph, the decoder is an embedding-bag over the k active rows, and the encoder's gradient is
/// accumulated the same way (an embedding-bag over the k active columns of W_enc, whose storage is kept column-major
/// while training) — no dense [B, d_sae] tensor takes part in the backward pass. BatchTopK, JumpReLU and Standard
/// (whose support varies per token) use dense autograd.
/// </remarks>
public sealed class SaeTrainer : IDisposable
{
    private readonly SparseAutoencoder _sae;
    private readonly nn.Parameter? _logThreshold;
    private readonly List<nn.Parameter> _parameters;
    private readonly TrainerAdam _optimizer;
    private readonly Tensor _tokensSinceFired;
    private readonly double _baseLearningRate;
    private readonly int _auxK;
    private bool _initialized;
    private double _scale = 1.0;

    /// <summary>Creates the trainer and a freshly initialised SAE (decoder rows random unit vectors, W_enc = W_decᵀ, seeded).</summary>
    public SaeTrainer(SaeConfig config, SaeTrainingOptions options, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(options);
        config.Validate();
        options.Validate();
        if (config.RescaleActsByDecoderNorm)
            throw new NotSupportedException("training keeps decoder rows at unit norm; RescaleActsByDecoderNorm (SAELens' alternative) is not trained here");
        Config = config;
        Options = options;
        _baseLearningRate = options.LearningRate ?? SaeTrainingOptions.DefaultLearningRate(config.DSae);
        _auxK = options.AuxK ?? Math.Max(1, config.DIn / 2);
        using (var generator = new Generator(options.Seed))
        {
            // Initialised on the CPU from a CPU generator (the same weights on every device), then moved.
            _sae = new SparseAutoencoder(config, null, ScalarType.Float32, generator);
        }
        if (device is not null && device.type != DeviceType.CPU) _sae.MoveTo(device);
        using (no_grad())
        {
            // Column-major W_enc: W_enc.t() is a contiguous [d_sae, d_in] view, so the k active columns are contiguous rows.
            using var columnMajor = _sae.W_enc.detach().t().contiguous();
            using var view = columnMajor.t();
            _sae.W_enc.set_data(view);
        }
        _parameters = [_sae.W_enc, _sae.b_enc, _sae.W_dec, _sae.b_dec];
        if (config.Architecture == SaeArchitecture.JumpReLU)
        {
            _logThreshold = new nn.Parameter(full([config.DSae], Math.Log(options.JumpReluInitialThreshold), ScalarType.Float32, _sae.Device));
            _logThreshold.DetachFromDisposeScope();
            _parameters.Add(_logThreshold);
            SyncThreshold();
        }
        _optimizer = new TrainerAdam(_parameters, _baseLearningRate, options.Beta1, options.Beta2, options.AdamEpsilon);
        _tokensSinceFired = zeros([config.DSae], ScalarType.Int64, _sae.Device).DetachFromDisposeScope();
    }

    /// <summary>The SAE being trained. Its weights read activations divided by <see cref="ActivationScale"/>; use <see cref="ExportSae"/> for raw activations.</summary>
    public SparseAutoencoder Sae => _sae;

    /// <summary>The configuration.</summary>
    public SaeConfig Config { get; }

    /// <summary>The options.</summary>
    public SaeTrainingOptions Options { get; }

    /// <summary>Optimizer steps taken.</summary>
    public long Step { get; private set; }

    /// <summary>Training tokens seen.</summary>
    public long Tokens { get; private set; }

    /// <summary>The peak learning rate.</summary>
    public double BaseLearningRate => _baseLearningRate;

    /// <summary>s: the trainer feeds x / s to <see cref="Sae"/> (1 without normalisation or before the first batch).</summary>
    public double ActivationScale => _scale;

    /// <summary>Tokens since each latent last had a positive activation [d_sae] (int64; a copy).</summary>
    public Tensor TokensSinceFired() => _tokensSinceFired.clone();

    /// <summary>Latents without a positive activation in the last <see cref="SaeTrainingOptions.DeadTokenWindow"/> tokens.</summary>
    public long DeadLatents
    {
        get
        {
            using var dead = _tokensSinceFired.ge(Options.DeadTokenWindow);
            using var count = dead.sum();
            return count.item<long>();
        }
    }

    private bool SparsePath => Config.Architecture is SaeArchitecture.TopK or SaeArchitecture.MultiTopK;

    /// <summary>One optimizer step on <paramref name="activations"/> [B, d_in] (raw activations, any float dtype and device).</summary>
    public SaeStepStatistics TrainStep(Tensor activations)
    {
        if (activations.shape is not [> 0, var d] || d != Config.DIn)
            throw new ArgumentException($"activations must be [B, d_in = {Config.DIn}], got [{string.Join(", ", activations.shape)}]");
        using var scope = NewDisposeScope();
        using var grad = enable_grad();   // a training step records gradients even when called under no_grad
        var x = activations.to(_sae.Device, ScalarType.Float32);
        if (!_initialized) Initialize(x);
        if (_scale != 1.0) x = x / _scale;

        var lr = _baseLearningRate * Options.LearningRateFactor(Step);
        _optimizer.LearningRate = lr;
        _optimizer.ZeroGrad();
        var losses = SparsePath ? SparseLoss(x) : DenseLoss(x);
        ProjectDecoderGradient();
        var gradNorm = Options.GradientClipNorm is { } clip
            ? nn.utils.clip_grad_norm_(_parameters, clip)
            : nn.utils.clip_grad_norm_(_parameters, double.MaxValue);
        _optimizer.Step();
        _optimizer.ZeroGrad();
        _sae.NormalizeDecoderRows();
        if (_logThreshold is not null) SyncThreshold();
        Step++;
        Tokens += x.size(0);
        return new SaeStepStatistics(Step, Tokens, losses.Total, losses.Reconstruction, losses.Aux, losses.Sparsity, losses.L0, losses.Fvu,
            DeadLatents, lr, gradNorm);
    }

    /// <summary>Test hook: the raw gradients (before projection and clipping) of the loss on a batch, without a step.</summary>
    internal Dictionary<string, Tensor> Gradients(Tensor activations)
    {
        using var scope = NewDisposeScope();
        using var grad = enable_grad();   // a training step records gradients even when called under no_grad
        var x = activations.to(_sae.Device, ScalarType.Float32);
        if (!_initialized) Initialize(x);
        if (_scale != 1.0) x = x / _scale;
        _optimizer.ZeroGrad();
        using var counters = _tokensSinceFired.clone();
        _ = SparsePath ? SparseLoss(x) : DenseLoss(x);
        _tokensSinceFired.copy_(counters);
        var result = new Dictionary<string, Tensor>();
        foreach (var (name, p) in new[] { ("W_enc", _sae.W_enc), ("b_enc", _sae.b_enc), ("W_dec", _sae.W_dec), ("b_dec", _sae.b_dec) })
            if (p.grad is { } g) result[name] = g.clone().DetachFromDisposeScope();
        if (_logThreshold?.grad is { } tg) result["log_threshold"] = tg.clone().DetachFromDisposeScope();
        _optimizer.ZeroGrad();
        return result;
    }

    /// <summary>Test hook: marks latents as dead (their counters at the window).</summary>
    internal void MarkDead(Tensor latents)
    {
        using var noGrad = no_grad();
        _tokensSinceFired.index_put_([latents], tensor(Options.DeadTokenWindow));
    }

    private readonly record struct Losses(double Total, double Reconstruction, double Aux, double Sparsity, double L0, double Fvu);

    private void Initialize(Tensor x)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        if (Options.NormalizeActivations)
        {
            // s = √E‖x‖² (dictionary_learning's norm_factor), so the scaled activations have unit mean squared norm.
            var meanSquaredNorm = x.to(ScalarType.Float64).square().sum(1).mean().item<double>();
            _scale = meanSquaredNorm > 0 && double.IsFinite(meanSquaredNorm) ? Math.Sqrt(meanSquaredNorm) : 1.0;
        }
        var scaled = x / _scale;
        switch (Options.DecoderBiasInit)
        {
            case DecoderBiasInit.GeometricMedian:
                _sae.b_dec.copy_(GeometricMedian.Compute(scaled));
                break;
            case DecoderBiasInit.Mean:
                _sae.b_dec.copy_(scaled.mean(dim: 0));
                break;
        }
        _initialized = true;
    }

    private double SparsityRamp => Options.SparsityWarmupSteps > 0 ? Math.Min(1.0, (Step + 1) / (double)Options.SparsityWarmupSteps) : 1.0;

    /// <summary>Dead latent indices (int64 [n_dead]) from the counters before this batch, or null when AuxK is off or none is dead.</summary>
    private Tensor? DeadIndices()
    {
        if (Options.AuxKCoefficient <= 0) return null;
        var dead = _tokensSinceFired.ge(Options.DeadTokenWindow).nonzero().squeeze(1);
        return dead.numel() > 0 ? dead : null;
    }

    private void CountFiring(Tensor activeIndices, long tokens)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var fired = activeIndices.numel() > 0
            ? zeros([Config.DSae], ScalarType.Float32, _sae.Device).scatter(0, activeIndices.reshape(-1), 1.0).gt(0)
            : zeros([Config.DSae], ScalarType.Bool, _sae.Device);
        _tokensSinceFired.add_(tokens).masked_fill_(fired, 0);
    }

    // ---- TopK and MultiTopK: sparse encoder, embedding-bag decoder, sparse encoder gradient

    private Losses SparseLoss(Tensor x)
    {
        var batch = x.size(0);
        var k = Config.K;
        var dead = DeadIndices();
        var auxK = dead is null ? 0 : (int)Math.Min(_auxK, dead.numel());

        // 1. Encoder without autograd, in chunks: z = TopK_k(ReLU((x − b_dec) W_enc + b_enc)) (ReLU first, as dictionary_learning and sparsify).
        Tensor values, indices;
        Tensor? auxValues = null, auxIndices = null;
        using (no_grad())
        {
            var input = Config.ApplyBDecToInput ? x - _sae.b_dec : x;
            var valueParts = new List<Tensor>();
            var indexParts = new List<Tensor>();
            var auxValueParts = new List<Tensor>();
            var auxIndexParts = new List<Tensor>();
            for (long start = 0; start < batch; start += Options.EncoderChunkTokens)
            {
                var length = Math.Min(Options.EncoderChunkTokens, batch - start);
                using var chunkScope = NewDisposeScope();
                var h = _sae.b_enc.addmm(input.narrow(0, start, length), _sae.W_enc);
                if (auxK > 0 && Options.AuxKInput == AuxKInput.PreActivation) SelectAux(h);
                h.relu_();
                var (v, i) = h.topk(k);
                valueParts.Add(v.MoveToOuterDisposeScope());
                indexParts.Add(i.MoveToOuterDisposeScope());
                if (auxK > 0 && Options.AuxKInput == AuxKInput.PostRelu) SelectAux(h);

                void SelectAux(Tensor values)
                {
                    // AuxK: the k_aux largest (post-ReLU or raw) pre-activations among dead latents.
                    var (av, ai) = values.index_select(1, dead!).topk(auxK);
                    auxValueParts.Add(av.MoveToOuterDisposeScope());
                    auxIndexParts.Add(dead!.index_select(0, ai.reshape(-1)).view(ai.shape).MoveToOuterDisposeScope());
                }
            }
            values = valueParts.Count == 1 ? valueParts[0] : cat(valueParts, 0);
            indices = indexParts.Count == 1 ? indexParts[0] : cat(indexParts, 0);
            if (auxK > 0)
            {
                auxValues = auxValueParts.Count == 1 ? auxValueParts[0] : cat(auxValueParts, 0);
                auxIndices = auxIndexParts.Count == 1 ? auxIndexParts[0] : cat(auxIndexParts, 0);
            }
        }

        // 2. Decoder and loss with autograd over W_dec, b_dec and the selected values (leaf tensors).
        var leaf = values.clone().requires_grad_();
        Tensor reconstruction;
        Tensor reconstructionLoss;
        if (Config.Architecture == SaeArchitecture.MultiTopK)
        {
            // MultiTopK: mean over levels k' of ‖x − (b_dec + Σ_{i≤k'} z₍ᵢ₎ W_dec,₍ᵢ₎)‖², the top-k values sorted descending.
            var levels = (Config.KLevels ?? [k]).Distinct().OrderBy(l => l).ToList();
            Tensor? sum = null;
            reconstruction = null!;
            foreach (var level in levels)
            {
                var idx = level == k ? indices : indices.narrow(1, 0, level).contiguous();
                var val = level == k ? leaf : leaf.narrow(1, 0, level);
                var xhat = nn.functional.embedding_bag(idx, _sae.W_dec, val) + _sae.b_dec;
                var l2 = (xhat - x).square().sum(-1).mean();
                sum = sum is null ? l2 : sum + l2;
                if (level == k) reconstruction = xhat;
            }
            reconstructionLoss = sum! / levels.Count;
            reconstruction ??= nn.functional.embedding_bag(indices, _sae.W_dec, leaf) + _sae.b_dec;
        }
        else
        {
            // x̂ = Σ_j z_j W_dec[i_j] + b_dec over the k active rows only.
            reconstruction = nn.functional.embedding_bag(indices, _sae.W_dec, leaf) + _sae.b_dec;
            reconstructionLoss = (reconstruction - x).square().sum(-1).mean();
        }
        var loss = reconstructionLoss;
        var auxLossValue = 0.0;
        Tensor? auxLeaf = null;
        if (auxK > 0)
        {
            auxLeaf = auxValues!.clone().requires_grad_();
            var aux = AuxKLoss(x, reconstruction, auxIndices!, auxLeaf);
            if (aux is not null)
            {
                auxLossValue = aux.item<double>();
                loss = loss + aux * Options.AuxKCoefficient;
            }
        }
        loss.backward();

        // 3. Encoder gradient through the selected pre-activations only: G = ∂L/∂z ⊙ 1[z > 0] (ReLU), accumulated as
        //    ∂W_encᵀ[j] = Σ_b G_bj (x_b − b_dec), ∂b_enc[j] = Σ_b G_bj, ∂b_dec −= Σ_b Σ_j G_bj W_encᵀ[j]
        //    via the surrogate Σ_b ⟨embedding_bag(idx, W_encᵀ, G)_b, x_b − b_dec⟩ + Σ G·b_enc[idx].
        using (var encoderScope = NewDisposeScope())
        {
            var g = leaf.grad!.mul_(values.gt(0).to(ScalarType.Float32));
            var allIndices = indices;
            if (auxLeaf?.grad is { } auxGrad)
            {
                if (Options.AuxKInput == AuxKInput.PostRelu) auxGrad.mul_(auxValues!.gt(0).to(ScalarType.Float32));
                g = cat([g, auxGrad], 1);
                allIndices = cat([indices, auxIndices!], 1);
            }
            var pulled = nn.functional.embedding_bag(allIndices, _sae.W_enc.t(), g);
            var input = Config.ApplyBDecToInput ? x - _sae.b_dec : x;
            var surrogate = (pulled * input).sum() + (_sae.b_enc.index_select(0, allIndices.reshape(-1)) * g.reshape(-1)).sum();
            surrogate.backward();
        }

        using var noGrad = no_grad();
        var active = values.gt(0);
        CountFiring(indices.masked_select(active), batch);
        if (Config.Architecture == SaeArchitecture.TopK && Step >= Options.ThresholdStartStep) UpdateTopKThreshold(values);
        var residual = x - reconstruction.detach();
        var fvu = residual.square().sum().item<double>() / Math.Max(1e-30, (x - x.mean(0, keepdim: true)).square().sum().item<double>());
        var l0 = active.sum().item<long>() / (double)batch;
        return new Losses(loss.item<double>(), reconstructionLoss.item<double>(), auxLossValue, 0, l0, fvu);
    }

    /// <summary>
    /// AuxK (Gao et al. 2024 App. A.2, dictionary_learning's form): ê = W_dec·z_aux (no b_dec), residual e = x − x̂
    /// detached, loss = mean_b ‖e − ê‖² / mean_b ‖e − ē‖²; null when the residual has no variance.
    /// </summary>
    private Tensor? AuxKLoss(Tensor x, Tensor reconstruction, Tensor auxIndices, Tensor auxValues)
    {
        var residual = (x - reconstruction).detach();
        var denominator = (residual - residual.mean(0, keepdim: true)).square().sum(-1).mean();
        if (!(denominator.item<double>() > 0)) return null;
        var auxReconstruction = nn.functional.embedding_bag(auxIndices, _sae.W_dec, auxValues);
        return (residual - auxReconstruction).square().sum(-1).mean() / denominator;
    }

    // ---- BatchTopK, JumpReLU, Standard: dense autograd

    private Losses DenseLoss(Tensor x)
    {
        var batch = x.size(0);
        var h = _sae.PreActivations(x);
        Tensor z;
        Tensor sparsity;
        switch (Config.Architecture)
        {
            case SaeArchitecture.Standard:
                // DLM-Scope Eq. 3: z = ReLU(h), L = ‖x − x̂‖² + λ‖z‖₁ (the decoder rows have unit norm).
                z = h.relu();
                sparsity = z.sum(-1).mean() * (Options.L1Coefficient * SparsityRamp);
                break;
            case SaeArchitecture.BatchTopK:
                // BatchTopK (Bussmann et al. 2024): the k·B largest of ReLU(h) over the batch.
                z = SparseAutoencoder.BatchTopK(h, Config.K);
                sparsity = zeros([], ScalarType.Float32, _sae.Device);
                break;
            case SaeArchitecture.JumpReLU:
                (z, sparsity) = JumpRelu(h);
                break;
            default:
                throw new InvalidOperationException($"{Config.Architecture} takes the sparse path");
        }
        var reconstruction = _sae.Decode(z);
        var reconstructionLoss = (reconstruction - x).square().sum(-1).mean();
        var loss = reconstructionLoss + sparsity;
        var auxLossValue = 0.0;
        var dead = Config.Architecture == SaeArchitecture.BatchTopK ? DeadIndices() : null;
        if (dead is not null)
        {
            var auxK = (int)Math.Min(_auxK, dead.numel());
            var auxSource = Options.AuxKInput == AuxKInput.PostRelu ? h.relu() : h;
            var (auxValues, auxPositions) = auxSource.index_select(1, dead).topk(auxK);
            var auxIndices = dead.index_select(0, auxPositions.reshape(-1)).view(auxPositions.shape);
            var aux = AuxKLoss(x, reconstruction, auxIndices, auxValues);
            if (aux is not null)
            {
                auxLossValue = aux.item<double>();
                loss = loss + aux * Options.AuxKCoefficient;
            }
        }
        loss.backward();

        using var noGrad = no_grad();
        var active = z.detach().gt(0);
        CountFiring(active.any(0).nonzero().squeeze(1), batch);
        if (Config.Architecture == SaeArchitecture.BatchTopK && Step >= Options.ThresholdStartStep)
        {
            // dictionary_learning BatchTopK: θ ← β θ + (1 − β) · min of the batch's positive activations (θ < 0: unset).
            var positive = z.detach().masked_select(active);
            if (positive.numel() > 0) UpdateScalarThreshold(positive.min().item<double>());
        }
        var residual = x - reconstruction.detach();
        var fvu = residual.square().sum().item<double>() / Math.Max(1e-30, (x - x.mean(0, keepdim: true)).square().sum().item<double>());
        var l0 = active.sum().item<long>() / (double)batch;
        return new Losses(loss.item<double>(), reconstructionLoss.item<double>(), auxLossValue, sparsity.item<double>(), l0, fvu);
    }

    /// <summary>
    /// JumpReLU with straight-through estimators (Rajamanoharan et al. 2024, Eqs. 11–12; rectangle kernel
    /// K(u) = 1[|u| &lt; ½], bandwidth ε): z = h·H(h − θ) with ∂z/∂θ = −(θ/ε)K((h − θ)/ε); L0 = Σ H(h − θ) with
    /// ∂/∂θ = −(1/ε)K((h − θ)/ε); penalty λ(L0/target − 1)². θ = exp(log θ) keeps thresholds positive. The
    /// pseudo-derivatives enter as (θ − sg(θ))·c terms whose value is 0.
    /// </summary>
    private (Tensor z, Tensor sparsity) JumpRelu(Tensor h)
    {
        var theta = _logThreshold!.exp();
        var thetaConst = theta.detach();
        var hConst = h.detach();
        var epsilon = Options.JumpReluBandwidth;
        var gate = hConst.gt(thetaConst).to(ScalarType.Float32);
        var kernel = ((hConst - thetaConst) / epsilon).abs().lt(0.5).to(ScalarType.Float32);
        var thetaDelta = theta - thetaConst;   // value 0, gradient 1 w.r.t. θ
        var z = h * gate + thetaDelta * (kernel * thetaConst * (-1.0 / epsilon));
        var l0 = (gate + thetaDelta * (kernel * (-1.0 / epsilon))).sum(-1).mean();
        var target = Options.TargetL0 ?? Config.K;
        var sparsity = (l0 / target - 1.0).square() * (Options.L0Coefficient * SparsityRamp);
        return (z, sparsity);
    }

    private void SyncThreshold()
    {
        using var noGrad = no_grad();
        using var theta = _logThreshold!.exp();
        _sae.threshold.copy_(theta);
    }

    private void UpdateScalarThreshold(double minimum)
    {
        using var noGrad = no_grad();
        var current = _sae.threshold.item<double>();
        var next = current < 0 ? minimum : Options.ThresholdBeta * current + (1 - Options.ThresholdBeta) * minimum;
        _sae.threshold.fill_(next);
    }

    /// <summary>
    /// Removes from each decoder row's gradient its component along the row (the rows are renormalised after the step):
    /// g_j ← g_j − (g_j·w_j) w_j / (‖w_j‖ + 1e-6)².
    /// </summary>
    private void ProjectDecoderGradient()
    {
        using var noGrad = no_grad();
        using var g = _sae.W_dec.grad;
        if (g is null) return;
        using var w = _sae.W_dec.detach();
        var rows = w.size(0);
        // In row chunks: temporaries stay small enough to be reused from the heap.
        const long chunk = 4096;
        for (long start = 0; start < rows; start += chunk)
        {
            using var scope = NewDisposeScope();
            var length = Math.Min(chunk, rows - start);
            var gc = g.narrow(0, start, length);
            var wc = w.narrow(0, start, length);
            var norms = wc.norm(1, keepdim: true).add_(1e-6);
            var coefficient = (gc * wc).sum(1, keepdim: true).div_(norms.square());
            gc.addcmul_(wc, coefficient, -1);
        }
    }

    /// <summary>
    /// Updates the TopK inference threshold (dictionary_learning's TopK trainer): after
    /// <see cref="SaeTrainingOptions.ThresholdStartStep"/>, θ ← β θ + (1 − β)·mean over tokens of the smallest positive
    /// top-k activation.
    /// </summary>
    private void UpdateTopKThreshold(Tensor values)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var positive = values.gt(0);
        var rows = positive.any(1);
        if (!rows.any().item<bool>()) return;
        var minima = values.masked_fill(positive.logical_not(), float.PositiveInfinity).min(1).values.masked_select(rows);
        UpdateScalarThreshold(minima.mean().item<double>());
    }

    /// <summary>
    /// The trained SAE as it should be used: a new SAE (row-major weights) whose biases (and thresholds) are multiplied
    /// by <see cref="ActivationScale"/>, so it reads and reconstructs raw activations.
    /// </summary>
    public SparseAutoencoder ExportSae(SaeMetadata? metadata = null)
    {
        var config = metadata is null ? Config : Config with { Metadata = metadata };
        var sae = new SparseAutoencoder(config, _sae.Device, ScalarType.Float32);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        sae.W_enc.copy_(_sae.W_enc);
        sae.W_dec.copy_(_sae.W_dec);
        sae.b_enc.copy_(_sae.b_enc * _scale);
        sae.b_dec.copy_(_sae.b_dec * _scale);
        var threshold = _sae.threshold;
        if (Config.Architecture == SaeArchitecture.JumpReLU) sae.threshold.copy_(threshold * _scale);
        else sae.threshold.copy_(threshold.item<double>() < 0 ? threshold : threshold * _scale);
        return sae;
    }

    // ---- checkpoint state

    /// <summary>Everything needed to continue training exactly: SAE, optimizer moments, counters, scale (new tensors the caller owns).</summary>
    public Dictionary<string, Tensor> GetState()
    {
        using var scope = NewDisposeScope();
        var state = new Dictionary<string, Tensor>
        {
            ["sae.W_enc"] = _sae.W_enc.detach().contiguous(),
            ["sae.b_enc"] = _sae.b_enc.detach().clone(),
            ["sae.W_dec"] = _sae.W_dec.detach().clone(),
            ["sae.b_dec"] = _sae.b_dec.detach().clone(),
            ["sae.threshold"] = _sae.threshold.clone(),
            ["tokens_since_fired"] = _tokensSinceFired.clone(),
            ["step"] = tensor(Step),
            ["tokens"] = tensor(Tokens),
            ["scale"] = tensor(_scale),
            ["initialized"] = tensor(_initialized ? 1L : 0L),
        };
        if (_logThreshold is not null) state["log_threshold"] = _logThreshold.detach().clone();
        foreach (var (k, v) in _optimizer.StateDict()) state["optimizer." + k] = v;
        foreach (var t in state.Values) t.DetachFromDisposeScope();
        return state;
    }

    /// <summary>Restores a state from <see cref="GetState"/>.</summary>
    public void SetState(IReadOnlyDictionary<string, Tensor> state)
    {
        Tensor Need(string key, long[]? shape = null)
        {
            if (!state.TryGetValue(key, out var t)) throw new ArgumentException($"trainer state has no '{key}' entry");
            if (shape is not null && !t.shape.SequenceEqual(shape))
                throw new ArgumentException($"trainer state '{key}' has shape [{string.Join(", ", t.shape)}], expected [{string.Join(", ", shape)}]");
            return t;
        }
        int dIn = Config.DIn, dSae = Config.DSae;
        var wEnc = Need("sae.W_enc", [dIn, dSae]);
        var bEnc = Need("sae.b_enc", [dSae]);
        var wDec = Need("sae.W_dec", [dSae, dIn]);
        var bDec = Need("sae.b_dec", [dIn]);
        var threshold = Need("sae.threshold", _sae.threshold.shape);
        var fired = Need("tokens_since_fired", [dSae]);
        var optimizerState = state.Where(kv => kv.Key.StartsWith("optimizer.", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key["optimizer.".Length..], kv => kv.Value);
        using var noGrad = no_grad();
        _optimizer.LoadStateDict(optimizerState);
        _sae.W_enc.copy_(wEnc);
        _sae.b_enc.copy_(bEnc);
        _sae.W_dec.copy_(wDec);
        _sae.b_dec.copy_(bDec);
        _sae.threshold.copy_(threshold);
        if (_logThreshold is not null) _logThreshold.copy_(Need("log_threshold", [dSae]));
        _tokensSinceFired.copy_(fired);
        Step = Need("step").item<long>();
        Tokens = Need("tokens").item<long>();
        _scale = Need("scale").item<double>();
        _initialized = Need("initialized").item<long>() != 0;
    }

    /// <summary>Frees the SAE and the optimizer state.</summary>
    public void Dispose()
    {
        _optimizer.Dispose();
        _logThreshold?.Dispose();
        _tokensSinceFired.Dispose();
        _sae.Dispose();
    }
}
