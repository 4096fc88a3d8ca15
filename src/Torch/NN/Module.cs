using System.Reflection;

namespace DiffusionSteering.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>
        /// Base of all neural-network modules: a tree of named sub-modules, parameters and buffers, with
        /// train/eval mode, device/dtype moves and state dicts, as in PyTorch and TorchSharp.
        /// </summary>
        public abstract class Module : IDisposable
        {
            private readonly Dictionary<string, Module> _modules = new();
            private readonly Dictionary<string, Parameter?> _parameters = new();
            private readonly Dictionary<string, Tensor?> _buffers = new();
            private readonly HashSet<string> _nonPersistent = new();
            private bool _disposed;

            /// <summary>Creates a module with a name used in messages.</summary>
            protected Module(string name) { this.name = name; }

            /// <summary>The module's name (its type, by default).</summary>
            public string name { get; }

            /// <summary>True in training mode.</summary>
            public bool training { get; private set; } = true;

            /// <summary>Registers a sub-module under <paramref name="name"/>.</summary>
            public void register_module(string name, Module module)
            {
                CheckName(name);
                _modules[name] = module;
            }

            /// <summary>Registers a parameter (null: a declared but absent parameter, e.g. no bias).</summary>
            public void register_parameter(string name, Parameter? parameter)
            {
                CheckName(name);
                if (parameter is not null) parameter.DetachFromDisposeScope();
                _parameters[name] = parameter;
            }

            /// <summary>Registers a buffer: state that is not learned (persistent ones are in the state dict).</summary>
            public void register_buffer(string name, Tensor? buffer, bool persistent = true)
            {
                CheckName(name);
                buffer?.DetachFromDisposeScope();
                _buffers[name] = buffer;
                if (persistent) _nonPersistent.Remove(name); else _nonPersistent.Add(name);
            }

            private static void CheckName(string name)
            {
                if (string.IsNullOrEmpty(name) || name.Contains('.'))
                    throw new ArgumentException($"invalid member name '{name}' (non-empty, no '.')", nameof(name));
            }

            /// <summary>
            /// Registers every field of this object that holds a <see cref="Module"/> or <see cref="Parameter"/> under
            /// the field's name (TorchSharp's convention; a leading underscore is dropped).
            /// </summary>
            protected void RegisterComponents()
            {
                for (var type = GetType(); type is not null && type != typeof(Module); type = type.BaseType)
                {
                    foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                    {
                        var fieldName = field.Name.TrimStart('_');
                        if (field.Name.Contains('<')) continue; // auto-property backing fields
                        var value = field.GetValue(this);
                        if (value is Module m && !_modules.ContainsKey(fieldName)) register_module(fieldName, m);
                        else if (value is Parameter p && !_parameters.ContainsKey(fieldName)) register_parameter(fieldName, p);
                    }
                }
            }

            /// <summary>Direct sub-modules with their names.</summary>
            public IEnumerable<(string name, Module module)> named_children() => _modules.Select(kv => (kv.Key, kv.Value));

            /// <summary>This module and every descendant, with dotted names ("" for this one).</summary>
            public IEnumerable<(string name, Module module)> named_modules()
            {
                yield return ("", this);
                foreach (var (childName, child) in named_children())
                    foreach (var (sub, module) in child.named_modules())
                        yield return (sub.Length == 0 ? childName : childName + "." + sub, module);
            }

            /// <summary>Parameters with dotted names (this module's first, then sub-modules').</summary>
            public IEnumerable<(string name, Parameter parameter)> named_parameters(bool recurse = true)
            {
                foreach (var (n, p) in _parameters)
                    if (p is not null) yield return (n, p);
                if (!recurse) yield break;
                foreach (var (childName, child) in named_children())
                    foreach (var (n, p) in child.named_parameters())
                        yield return (childName + "." + n, p);
            }

            /// <summary>All parameters.</summary>
            public IEnumerable<Parameter> parameters(bool recurse = true) => named_parameters(recurse).Select(x => x.parameter);

            /// <summary>Buffers with dotted names.</summary>
            public IEnumerable<(string name, Tensor buffer)> named_buffers(bool recurse = true, bool persistentOnly = false)
            {
                foreach (var (n, b) in _buffers)
                    if (b is not null && (!persistentOnly || !_nonPersistent.Contains(n))) yield return (n, b);
                if (!recurse) yield break;
                foreach (var (childName, child) in named_children())
                    foreach (var (n, b) in child.named_buffers(true, persistentOnly))
                        yield return (childName + "." + n, b);
            }

            /// <summary>Sets training mode on this module and all descendants.</summary>
            public virtual Module train(bool mode = true)
            {
                training = mode;
                foreach (var (_, child) in named_children()) child.train(mode);
                return this;
            }

            /// <summary>Sets evaluation mode.</summary>
            public Module eval() => train(false);

            /// <summary>Clears the gradients of all parameters.</summary>
            public void zero_grad()
            {
                foreach (var p in parameters()) p.grad = null;
            }

            /// <summary>Moves parameters and buffers to a device (and dtype for floating-point ones), in place.</summary>
            public virtual Module to(Device device, ScalarType? dtype = null)
            {
                Convert(t => t.to(device, dtype is { } d && t.dtype.IsFloatingPoint() ? d : null));
                return this;
            }

            /// <summary>Converts floating-point parameters and buffers to a dtype, in place.</summary>
            public virtual Module to(ScalarType dtype)
            {
                Convert(t => t.dtype.IsFloatingPoint() ? t.to(dtype) : t.alias());
                return this;
            }

            private void Convert(Func<Tensor, Tensor> convert)
            {
                using var noGrad = no_grad();
                foreach (var (_, module) in named_modules())
                {
                    foreach (var p in module._parameters.Values)
                    {
                        if (p is null) continue;
                        var requiresGrad = p.requires_grad;
                        using var moved = convert(p);
                        var converted = moved.detach();
                        converted.requires_grad = requiresGrad;
                        p.ReplaceNative(converted);
                    }
                    foreach (var b in module._buffers.Values)
                        if (b is not null) b.ReplaceNative(convert(b));
                }
            }

            /// <summary>Copies (detached aliases) of every parameter and persistent buffer, by dotted name.</summary>
            public Dictionary<string, Tensor> state_dict()
            {
                var result = new Dictionary<string, Tensor>();
                foreach (var (n, p) in named_parameters()) result[n] = p.detach();
                foreach (var (n, b) in named_buffers(persistentOnly: true)) result[n] = b.detach();
                return result;
            }

            /// <summary>
            /// Copies values into the parameters and persistent buffers by name (converting dtype and device). With
            /// <paramref name="strict"/>, missing and unexpected keys are errors; a shape mismatch is always an error.
            /// Every problem is listed in one <see cref="ArgumentException"/>; nothing is copied when there is one.
            /// </summary>
            public (IReadOnlyList<string> missing, IReadOnlyList<string> unexpected) load_state_dict(
                IReadOnlyDictionary<string, Tensor> source, bool strict = true)
            {
                var targets = new Dictionary<string, Tensor>();
                foreach (var (n, p) in named_parameters()) targets[n] = p;
                foreach (var (n, b) in named_buffers(persistentOnly: true)) targets[n] = b;
                var missing = targets.Keys.Where(k => !source.ContainsKey(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
                var unexpected = source.Keys.Where(k => !targets.ContainsKey(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
                var misShaped = new List<string>();
                foreach (var (k, target) in targets)
                {
                    if (!source.TryGetValue(k, out var value)) continue;
                    var want = target.shape;
                    var got = value.shape;
                    if (!want.SequenceEqual(got)) misShaped.Add($"{k}: expected {Tensor.ShapeString(want)}, got {Tensor.ShapeString(got)}");
                }
                var problems = new List<string>();
                if (strict && missing.Count > 0) problems.Add("missing keys: " + string.Join(", ", missing));
                if (strict && unexpected.Count > 0) problems.Add("unexpected keys: " + string.Join(", ", unexpected));
                if (misShaped.Count > 0) problems.Add("shape mismatches: " + string.Join("; ", misShaped));
                if (problems.Count > 0)
                    throw new ArgumentException($"load_state_dict into {name}: " + string.Join(". ", problems));
                using var noGrad = no_grad();
                foreach (var (k, target) in targets)
                    if (source.TryGetValue(k, out var value)) target.copy_(value);
                return (missing, unexpected);
            }

            /// <summary>Frees every parameter and buffer of this module and its descendants.</summary>
            public void Dispose()
            {
                Dispose(true);
                GC.SuppressFinalize(this);
            }

            /// <summary>Frees native state; override to free more.</summary>
            protected virtual void Dispose(bool disposing)
            {
                if (_disposed || !disposing) return;
                _disposed = true;
                foreach (var child in _modules.Values) child.Dispose();
                foreach (var p in _parameters.Values) p?.Dispose();
                foreach (var b in _buffers.Values) b?.Dispose();
            }
        }

        /// <summary>A module with a typed forward pass.</summary>
        public abstract class Module<T, TResult> : Module
        {
            /// <summary>Creates the module.</summary>
            protected Module(string name) : base(name) { }

            /// <summary>The computation.</summary>
            public abstract TResult forward(T input);

            /// <summary>Runs <see cref="forward"/> (TorchSharp's entry point).</summary>
            public TResult call(T input) => forward(input);
        }
    }
}
