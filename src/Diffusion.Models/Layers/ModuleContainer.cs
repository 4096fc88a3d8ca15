using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Diffusion.Models.Layers;

/// <summary>A module that only groups named children, so that parameter names follow a checkpoint's nesting.</summary>
public sealed class ModuleContainer : nn.Module
{
    /// <summary>Creates an empty container.</summary>
    public ModuleContainer(string name = nameof(ModuleContainer)) : base(name) { }

    /// <summary>Registers a child and returns it.</summary>
    public T Add<T>(string name, T module) where T : nn.Module
    {
        register_module(name, module);
        return module;
    }
}
