using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace DiffusionSteering.Sae.Core.Formats;

/// <summary>
/// A restricted pickle virtual machine: it implements only the opcodes a PyTorch tensor state dict uses and hands
/// every global, call, persistent id and <c>BUILD</c> to an <see cref="IPickleHost"/>. Any other opcode is refused
/// with <see cref="UnsafePickleException"/>; malformed input raises <see cref="TorchCheckpointFormatException"/>.
/// </summary>
/// <remarks>
/// Values on the stack are <see langword="null"/> (None), <see cref="bool"/>, <see cref="long"/>,
/// <see cref="BigInteger"/>, <see cref="double"/>, <see cref="string"/>, <see cref="PickleTuple"/>,
/// <see cref="List{T}"/> of object (list), <see cref="PickleDict"/>, or whatever the host returns.
/// </remarks>
internal sealed class PickleMachine
{
    private const int HighestProtocol = 5;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly byte[] _code;
    private readonly IPickleHost _host;
    private readonly string _context;
    private readonly List<object?> _stack = [];
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = [];
    private int _position;
    private int _opcodePosition;
    private byte _opcode;

    private PickleMachine(byte[] code, IPickleHost host, string context)
    {
        _code = code;
        _host = host;
        _context = context;
    }

    /// <summary>Runs <paramref name="code"/> to its <c>STOP</c> and returns the single value it leaves.</summary>
    /// <param name="code">The pickle bytes.</param>
    /// <param name="host">The policy for globals, calls, persistent ids and BUILD.</param>
    /// <param name="context">Where the pickle came from, used as the prefix of error messages.</param>
    internal static object? Run(byte[] code, IPickleHost host, string context) =>
        new PickleMachine(code, host, context).Execute();

    private object? Execute()
    {
        while (true)
        {
            _opcodePosition = _position;
            if (_position >= _code.Length)
            {
                throw Format($"the pickle ends at byte {_code.Length} without a STOP opcode (truncated?)", withOpcode: false);
            }

            _opcode = _code[_position++];
            switch (_opcode)
            {
                case PickleOpcode.Proto:
                    int protocol = ReadByte();
                    if (protocol > HighestProtocol) throw Format($"unsupported pickle protocol {protocol}");
                    break;
                case PickleOpcode.Frame:
                    long frameLength = ReadInt64();
                    if (frameLength < 0 || frameLength > _code.Length - _position)
                    {
                        throw Format($"frame length {frameLength} runs past the end of the pickle");
                    }
                    break;
                case PickleOpcode.Stop:
                    return Finish();

                case PickleOpcode.Mark: _marks.Push(_stack.Count); break;
                case PickleOpcode.None: Push(null); break;
                case PickleOpcode.NewTrue: Push(true); break;
                case PickleOpcode.NewFalse: Push(false); break;
                case PickleOpcode.BinInt: Push((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4))); break;
                case PickleOpcode.BinInt1: Push((long)ReadByte()); break;
                case PickleOpcode.BinInt2: Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break;
                case PickleOpcode.Long1: Push(DecodeLong(Take(ReadByte()))); break;
                case PickleOpcode.Long4: Push(DecodeLong(Take(ReadLength32()))); break;
                case PickleOpcode.BinFloat: Push(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break;

                case PickleOpcode.ShortBinUnicode: Push(DecodeUtf8(Take(ReadByte()))); break;
                case PickleOpcode.BinUnicode: Push(DecodeUtf8(Take(ReadLength32()))); break;
                case PickleOpcode.BinUnicode8: Push(DecodeUtf8(Take(ReadLength64()))); break;
                case PickleOpcode.ShortBinString: Push(DecodeUtf8(Take(ReadByte()))); break;
                case PickleOpcode.BinString: Push(DecodeUtf8(Take(ReadLength32()))); break;

                case PickleOpcode.EmptyTuple: Push(PickleTuple.Empty); break;
                case PickleOpcode.Tuple: Push(new PickleTuple(PopToMark())); break;
                case PickleOpcode.Tuple1: Push(new PickleTuple(PopMany(1))); break;
                case PickleOpcode.Tuple2: Push(new PickleTuple(PopMany(2))); break;
                case PickleOpcode.Tuple3: Push(new PickleTuple(PopMany(3))); break;
                case PickleOpcode.EmptyList: Push(new List<object?>()); break;
                case PickleOpcode.Append: Append(PopMany(1)); break;
                case PickleOpcode.Appends: Append(PopToMark()); break;
                case PickleOpcode.EmptyDict: Push(new PickleDict(isOrderedDict: false)); break;
                case PickleOpcode.SetItem: SetItems(PopMany(2)); break;
                case PickleOpcode.SetItems: SetItems(PopToMark()); break;

                case PickleOpcode.BinPut: Put(ReadByte()); break;
                case PickleOpcode.LongBinPut: Put(BinaryPrimitives.ReadUInt32LittleEndian(Take(4))); break;
                case PickleOpcode.Memoize: Put(_memo.Count); break;
                case PickleOpcode.BinGet: Get(ReadByte()); break;
                case PickleOpcode.LongBinGet: Get(BinaryPrimitives.ReadUInt32LittleEndian(Take(4))); break;

                case PickleOpcode.Global:
                {
                    string module = ReadLine();
                    string name = ReadLine();
                    Push(Host(() => _host.ResolveGlobal(module, name)));
                    break;
                }
                case PickleOpcode.StackGlobal:
                {
                    object?[] parts = PopMany(2);
                    if (parts[0] is not string module || parts[1] is not string name)
                    {
                        throw Format("STACK_GLOBAL needs a module string and a name string on the stack");
                    }
                    Push(Host(() => _host.ResolveGlobal(module, name)));
                    break;
                }
                case PickleOpcode.Reduce:
                {
                    object?[] callAndArgs = PopMany(2);
                    if (callAndArgs[1] is not PickleTuple arguments)
                    {
                        throw Format($"REDUCE needs an argument tuple, found {Describe(callAndArgs[1])}");
                    }
                    Push(Host(() => _host.Call(callAndArgs[0], arguments)));
                    break;
                }
                case PickleOpcode.BinPersId:
                {
                    object? persistentId = PopMany(1)[0];
                    Push(Host(() => _host.PersistentLoad(persistentId)));
                    break;
                }
                case PickleOpcode.Build:
                {
                    object? state = PopMany(1)[0];
                    object? target = Peek();
                    Host(() =>
                    {
                        _host.Build(target, state);
                        return null;
                    });
                    break;
                }

                default:
                    throw new UnsafePickleException(
                        $"{_context}: refused pickle opcode {PickleOpcode.Name(_opcode)} at byte {_opcodePosition}; " +
                        "only the opcodes of a plain tensor state dict are allowed, nothing is executed.");
            }
        }
    }

    private object? Finish()
    {
        if (_marks.Count != 0) throw Format("STOP with an unclosed MARK");
        if (_stack.Count != 1) throw Format($"STOP with {_stack.Count} values on the stack instead of 1");
        return _stack[0];
    }

    private void Push(object? value) => _stack.Add(value);

    private object? Peek()
    {
        int floor = _marks.Count == 0 ? 0 : _marks.Peek();
        if (_stack.Count <= floor) throw Format("stack underflow");
        return _stack[^1];
    }

    /// <summary>Pops the top <paramref name="count"/> values (oldest first), never reaching below the current mark.</summary>
    private object?[] PopMany(int count)
    {
        int floor = _marks.Count == 0 ? 0 : _marks.Peek();
        if (_stack.Count - floor < count) throw Format("stack underflow");
        object?[] values = _stack.GetRange(_stack.Count - count, count).ToArray();
        _stack.RemoveRange(_stack.Count - count, count);
        return values;
    }

    /// <summary>Pops every value above the innermost mark (oldest first) and drops the mark.</summary>
    private object?[] PopToMark()
    {
        if (_marks.Count == 0) throw Format("no MARK to pop to");
        int mark = _marks.Pop();
        object?[] values = _stack.GetRange(mark, _stack.Count - mark).ToArray();
        _stack.RemoveRange(mark, _stack.Count - mark);
        return values;
    }

    private void Append(object?[] items)
    {
        if (Peek() is not List<object?> list) throw Format($"cannot append to {Describe(Peek())}; only lists are supported");
        list.AddRange(items);
    }

    private void SetItems(object?[] keysAndValues)
    {
        if (keysAndValues.Length % 2 != 0) throw Format("odd number of values for dict items");
        if (Peek() is not PickleDict dict) throw Format($"cannot set items on {Describe(Peek())}; only dicts are supported");
        for (int i = 0; i < keysAndValues.Length; i += 2)
        {
            if (!dict.TrySet(keysAndValues[i], keysAndValues[i + 1]))
            {
                throw Format($"unsupported dict key {Describe(keysAndValues[i])}");
            }
        }
    }

    private void Put(long index) => _memo[index] = Peek();

    private void Get(long index)
    {
        if (!_memo.TryGetValue(index, out object? value)) throw Format($"memo index {index} was never stored");
        Push(value);
    }

    private object? Host(Func<object?> action)
    {
        try
        {
            return action();
        }
        catch (UnsafePickleException ex)
        {
            throw new UnsafePickleException($"{_context}: {PickleOpcode.Name(_opcode)} at byte {_opcodePosition}: {Sentence(ex.Message)}", ex);
        }
        catch (TorchCheckpointFormatException ex)
        {
            throw new TorchCheckpointFormatException($"{_context}: {PickleOpcode.Name(_opcode)} at byte {_opcodePosition}: {Sentence(ex.Message)}", ex);
        }
    }

    private static string Sentence(string message) => message.EndsWith('.') ? message : message + ".";

    private byte ReadByte() => Take(1)[0];

    private long ReadInt64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

    private int ReadLength32()
    {
        int length = BinaryPrimitives.ReadInt32LittleEndian(Take(4));
        if (length < 0) throw Format($"negative length {length}");
        return length;
    }

    private int ReadLength64()
    {
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(Take(8));
        if (length > (ulong)(_code.Length - _position)) throw Truncated(length);
        return (int)length;
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _code.Length - _position) throw Truncated((ulong)count);
        var span = new ReadOnlySpan<byte>(_code, _position, count);
        _position += count;
        return span;
    }

    private string ReadLine()
    {
        int end = Array.IndexOf(_code, (byte)'\n', _position);
        if (end < 0) throw Format("the pickle ends inside a GLOBAL name (truncated?)");
        string line = DecodeUtf8(new ReadOnlySpan<byte>(_code, _position, end - _position));
        _position = end + 1;
        return line;
    }

    private string DecodeUtf8(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw new TorchCheckpointFormatException($"{_context}: {PickleOpcode.Name(_opcode)} at byte {_opcodePosition}: invalid UTF-8 text", ex);
        }
    }

    private static object DecodeLong(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0) return 0L;
        var value = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        return value >= long.MinValue && value <= long.MaxValue ? (long)value : value;
    }

    private TorchCheckpointFormatException Truncated(ulong needed) =>
        Format($"needs {needed} bytes of operand but only {_code.Length - _position} remain (truncated pickle?)");

    private TorchCheckpointFormatException Format(string problem, bool withOpcode = true) =>
        new(withOpcode
            ? $"{_context}: {PickleOpcode.Name(_opcode)} at byte {_opcodePosition}: {problem}."
            : $"{_context}: {problem}.");

    /// <summary>A short, safe description of an unpickled value for error messages.</summary>
    internal static string Describe(object? value) => value switch
    {
        null => "None",
        string s => s.Length <= 40 ? $"str '{Printable(s)}'" : $"str of length {s.Length}",
        bool b => b ? "True" : "False",
        long or BigInteger => $"int {value}",
        double d => $"float {d}",
        List<object?> list => $"list of {list.Count}",
        _ => value.ToString() ?? value.GetType().Name,
    };

    /// <summary><paramref name="text"/> with control characters escaped, so hostile names cannot garble messages.</summary>
    internal static string Printable(string text)
    {
        if (!text.Any(char.IsControl)) return text;
        var builder = new StringBuilder(text.Length + 8);
        foreach (char c in text)
        {
            if (char.IsControl(c)) builder.Append($"\\u{(int)c:X4}");
            else builder.Append(c);
        }
        return builder.ToString();
    }
}
