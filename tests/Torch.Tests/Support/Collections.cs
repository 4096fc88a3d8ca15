namespace DiffusionSteering.Torch.Tests;

/// <summary>
/// Tests that touch process-wide libtorch state (the default generator, the thread count, the live tensor count)
/// run alone, after the parallel ones.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "Serial: process-wide libtorch state";
}
