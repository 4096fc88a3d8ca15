using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Diffusion.Models.Hooks;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Diffusion.Models.Sampling;

/// <summary>
/// The machinery every sampler shares: validates the request, owns the random generators, installs interventions and
/// observer hooks for the run, runs each forward pass with the step context, reports progress, honours cancellation,
/// and records the trajectory.
/// </summary>
internal sealed class SamplingSession : IDisposable
{
    private readonly IDenoiser _model;
    private readonly SamplingRequest _request;
    private readonly List<IDisposable> _registrations = new();
    private readonly Generator[]? _rowGenerators;
    private readonly Dictionary<ResidualSite, Tensor> _captured = new();
    private readonly List<Tensor>? _trajectory;
    private readonly CancellationToken _cancellation;

    public SamplingSession(IDenoiser model, SamplingRequest request, int totalSteps, CancellationToken cancellation)
    {
        _model = model;
        _request = request;
        _cancellation = cancellation;
        TotalSteps = totalSteps;
        var prompt = request.PromptIds;
        if (prompt.dtype != ScalarType.Int64) throw new ArgumentException($"prompt ids must be int64, got {prompt.dtype}");
        var shape = prompt.shape;
        if (shape.Length != 2 || shape[0] < 1) throw new ArgumentException($"prompt ids must have shape [batch, length] with batch ≥ 1, got [{string.Join(", ", shape)}]");
        BatchSize = (int)shape[0];
        PromptLength = (int)shape[1];
        if (request.AttentionMask is { } am && !am.shape.SequenceEqual(shape))
            throw new ArgumentException($"attention mask must have the prompt's shape [{string.Join(", ", shape)}], got [{string.Join(", ", am.shape)}]");
        if (request.Seeds is not null && request.Generator is not null)
            throw new ArgumentException("give per-row Seeds or one shared Generator, not both");
        if (request.Seeds is { } seeds)
        {
            if (seeds.Count != BatchSize) throw new ArgumentException($"{seeds.Count} seeds for a batch of {BatchSize} rows");
            _rowGenerators = seeds.Select(s => new Generator(s, model.Device)).ToArray();
        }
        if (request.RecordTrajectory) _trajectory = new List<Tensor>();
        InstallInterventions();
        InstallObserverHooks();
    }

    public int BatchSize { get; }
    public int PromptLength { get; }
    public int TotalSteps { get; }
    public IDenoiser Model => _model;

    private void InstallInterventions()
    {
        var sites = _request.Interventions.SelectMany(i => i.Sites).Distinct().ToList();
        foreach (var site in sites)
        {
            var acting = _request.Interventions.Where(i => i.Sites.Contains(site)).ToArray();
            _registrations.Add(_model.Hooks.Add(site.Layer, site.Point, (in HookContext context, Tensor residual) =>
            {
                if (context.State is not StepContext step) return null;
                var current = residual;
                foreach (var intervention in acting) current = intervention.Apply(step, site, current) ?? current;
                return ReferenceEquals(current, residual) ? null : current;
            }));
        }
    }

    private void InstallObserverHooks()
    {
        foreach (var site in _request.Observers.SelectMany(o => o.HiddenStateRequests).Distinct())
        {
            _registrations.Add(_model.Hooks.Add(site.Layer, site.Point, (in HookContext context, Tensor residual) =>
            {
                if (context.State is not StepContext) return null;
                using var scope = NewDisposeScope();
                var conditional = residual.detach().narrow(0, 0, BatchSize).clone();
                if (_captured.Remove(site, out var previous)) previous.Dispose();
                _captured[site] = conditional.DetachFromDisposeScope();
                return null;
            }));
        }
    }

    /// <summary>Runs the model with the step context visible to hooks.</summary>
    public Tensor Forward(StepContext step, DenoiserInput input)
    {
        _model.Hooks.State = step;
        try
        {
            return _model.Forward(input);
        }
        finally
        {
            _model.Hooks.State = null;
        }
    }

    /// <summary>Throws when cancelled (call at the start of every step).</summary>
    public void ThrowIfCancelled() => _cancellation.ThrowIfCancellationRequested();

    /// <summary>Records the canvas before the first step.</summary>
    public void Start(Tensor canvas) => _trajectory?.Add(canvas.clone().DetachFromDisposeScope());

    /// <summary>Hands a finished step to the observers and the trajectory, then reports progress.</summary>
    public void CompleteStep(StepContext step, Tensor logits, Tensor sequenceAfter)
    {
        if (_request.Observers.Count > 0)
        {
            using var scope = NewDisposeScope();
            var committed = step.MaskedPositions.logical_and(sequenceAfter.ne(_model.Spec.MaskTokenId));
            var observation = new SamplerStep(step, logits, sequenceAfter, committed, _captured);
            foreach (var observer in _request.Observers) observer.OnStep(observation);
        }
        foreach (var t in _captured.Values) t.Dispose();
        _captured.Clear();
        _trajectory?.Add(sequenceAfter.clone().DetachFromDisposeScope());
        _request.Progress?.Report(new SamplingProgress(step.StepIndex + 1, TotalSteps));
    }

    public SamplingResult Finish(Tensor sequences)
    {
        var trajectory = _trajectory?.ToList();
        _trajectory?.Clear();
        return new SamplingResult(sequences.DetachFromDisposeScope(), trajectory);
    }

    // ---- randomness

    /// <summary>
    /// U[0,1) draws of shape [B, rest…]: one tensor from the shared generator (reference order), or row by row from
    /// the per-row generators.
    /// </summary>
    public Tensor Uniform(long[] rest, ScalarType dtype)
    {
        var device = _model.Device;
        if (_rowGenerators is null)
            return rand([BatchSize, .. rest], dtype, device, _request.Generator);
        using var scope = NewDisposeScope();
        var rows = _rowGenerators.Select(g => rand([1, .. rest], dtype, device, g)).ToList();
        return cat(rows, 0).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// U[0,1) draws for a variable number of items per row, concatenated row by row (the order of boolean indexing
    /// x[mask]): from the shared generator as one <c>rand(n_total)</c>, or per row from the row's generator.
    /// </summary>
    public Tensor UniformPerRow(long[] countsPerRow, ScalarType dtype)
    {
        var device = _model.Device;
        var total = countsPerRow.Sum();
        if (_rowGenerators is null) return rand([total], dtype, device, _request.Generator);
        using var scope = NewDisposeScope();
        var parts = countsPerRow.Select((n, row) => rand([n], dtype, device, _rowGenerators[row])).ToList();
        return cat(parts, 0).MoveToOuterDisposeScope();
    }

    /// <summary>Draws one category per row of probabilities (multinomial with replacement), rows owned by batch rows as given.</summary>
    public Tensor Multinomial(Tensor probabilities, long[] rowOwners)
    {
        if (_rowGenerators is null) return probabilities.multinomial(1, replacement: true, _request.Generator).squeeze(-1);
        using var scope = NewDisposeScope();
        var picks = new List<Tensor>();
        for (var i = 0; i < rowOwners.Length; i++)
            picks.Add(probabilities.narrow(0, i, 1).multinomial(1, replacement: true, _rowGenerators[rowOwners[i]]).view(1));
        return (picks.Count == 0 ? zeros([0], ScalarType.Int64, probabilities.device) : cat(picks, 0)).MoveToOuterDisposeScope();
    }

    /// <summary>k distinct indices per row of [B, L] probabilities (multinomial without replacement).</summary>
    public Tensor MultinomialWithoutReplacement(Tensor probabilities, long k)
    {
        if (_rowGenerators is null) return probabilities.multinomial(k, replacement: false, _request.Generator);
        using var scope = NewDisposeScope();
        var rows = _rowGenerators.Select((g, row) => probabilities.narrow(0, row, 1).multinomial(k, replacement: false, g)).ToList();
        return cat(rows, 0).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
        foreach (var t in _captured.Values) t.Dispose();
        if (_rowGenerators is not null) foreach (var g in _rowGenerators) g.Dispose();
        if (_trajectory is not null) foreach (var t in _trajectory) t.Dispose();
        _model.Hooks.State = null;
    }
}
