namespace DiffusionSteering.Samples.Quickstart;

/// <summary>Everything the mission reads and how big it runs. Defaults fit ~10 minutes on two CPU cores.</summary>
internal sealed record MissionOptions
{
    /// <summary>LLaDA-format model folder (config.json, model.safetensors, tokenizer.json).</summary>
    public string ModelFolder { get; init; } = "";
    /// <summary>SAE folder (SAELens format).</summary>
    public string SaeFolder { get; init; } = "";
    /// <summary>
    /// Trained attribute scorers: &lt;folder&gt;/&lt;attribute&gt;.json (NGramTextClassifier files, from TrainScorers). An
    /// attribute without a file gets a scorer trained on its set's train.tsv in this run.
    /// </summary>
    public string ScorersFolder { get; init; } = "";
    /// <summary>Labelled sets: &lt;folder&gt;/&lt;attribute&gt;/{train,test}.tsv with label \t source \t text.</summary>
    public string SetsFolder { get; init; } = "";
    /// <summary>Where the report goes.</summary>
    public string OutputFolder { get; init; } = "quickstart-report";
    /// <summary>Texts per class for the contrastive feature search.</summary>
    public int TextsPerClass { get; init; } = 120;
    /// <summary>Prompts × seeds per method.</summary>
    public int Prompts { get; init; } = 8;
    /// <summary>Seeds per prompt.</summary>
    public int SeedsPerPrompt { get; init; } = 4;
    /// <summary>Generated tokens.</summary>
    public int GenLength { get; init; } = 32;
    /// <summary>Denoising steps (one token per step by default).</summary>
    public int Steps { get; init; } = 32;
    /// <summary>
    /// Sampling temperature. 0 (default): greedy tokens in a random unmasking order (LLaDA's <c>random</c> remasking),
    /// which makes the seeds matter at a fraction of the cost of float64 Gumbel noise over the vocabulary.
    /// </summary>
    public double Temperature { get; init; }
    /// <summary>Samples for each commitment profile.</summary>
    public int CommitmentSamples { get; init; } = 32;
    /// <summary>Steering strengths, in units of the layer's mean residual norm.</summary>
    public IReadOnlyList<double> Strengths { get; init; } = [0.5, 1.0, 2.0];
    /// <summary>Monte-Carlo draws per text for the NLL.</summary>
    public int NllDraws { get; init; } = 8;
    /// <summary>Bootstrap resamples.</summary>
    public int BootstrapResamples { get; init; } = 1000;
}
