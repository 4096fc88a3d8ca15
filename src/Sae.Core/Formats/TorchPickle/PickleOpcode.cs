using System.Collections.Frozen;

namespace DiffusionSteering.Sae.Core.Formats;

/// <summary>Byte values and names of the Python pickle opcodes (protocols 0–5).</summary>
/// <remarks>
/// Every opcode is named so that refusals can say what was refused; only the constants used by
/// <see cref="PickleMachine"/> are declared, the rest appear only in <see cref="Name"/>.
/// </remarks>
internal static class PickleOpcode
{
    internal const byte Mark = 0x28;            // '('
    internal const byte Stop = 0x2E;            // '.'
    internal const byte BinInt = 0x4A;          // 'J'
    internal const byte BinInt1 = 0x4B;         // 'K'
    internal const byte BinInt2 = 0x4D;         // 'M'
    internal const byte None = 0x4E;            // 'N'
    internal const byte BinPersId = 0x51;       // 'Q'
    internal const byte Reduce = 0x52;          // 'R'
    internal const byte BinString = 0x54;       // 'T'
    internal const byte ShortBinString = 0x55;  // 'U'
    internal const byte BinUnicode = 0x58;      // 'X'
    internal const byte EmptyList = 0x5D;       // ']'
    internal const byte Append = 0x61;          // 'a'
    internal const byte Build = 0x62;           // 'b'
    internal const byte Global = 0x63;          // 'c'
    internal const byte Appends = 0x65;         // 'e'
    internal const byte BinGet = 0x68;          // 'h'
    internal const byte LongBinGet = 0x6A;      // 'j'
    internal const byte BinPut = 0x71;          // 'q'
    internal const byte LongBinPut = 0x72;      // 'r'
    internal const byte SetItem = 0x73;         // 's'
    internal const byte Tuple = 0x74;           // 't'
    internal const byte SetItems = 0x75;        // 'u'
    internal const byte EmptyDict = 0x7D;       // '}'
    internal const byte EmptyTuple = 0x29;      // ')'
    internal const byte BinFloat = 0x47;        // 'G'
    internal const byte Proto = 0x80;
    internal const byte Tuple1 = 0x85;
    internal const byte Tuple2 = 0x86;
    internal const byte Tuple3 = 0x87;
    internal const byte NewTrue = 0x88;
    internal const byte NewFalse = 0x89;
    internal const byte Long1 = 0x8A;
    internal const byte Long4 = 0x8B;
    internal const byte ShortBinUnicode = 0x8C;
    internal const byte BinUnicode8 = 0x8D;
    internal const byte StackGlobal = 0x93;
    internal const byte Memoize = 0x94;
    internal const byte Frame = 0x95;

    private static readonly FrozenDictionary<byte, string> Names = new Dictionary<byte, string>
    {
        [0x28] = "MARK", [0x2E] = "STOP", [0x30] = "POP", [0x31] = "POP_MARK", [0x32] = "DUP",
        [0x46] = "FLOAT", [0x49] = "INT", [0x4A] = "BININT", [0x4B] = "BININT1", [0x4C] = "LONG",
        [0x4D] = "BININT2", [0x4E] = "NONE", [0x50] = "PERSID", [0x51] = "BINPERSID", [0x52] = "REDUCE",
        [0x53] = "STRING", [0x54] = "BINSTRING", [0x55] = "SHORT_BINSTRING", [0x56] = "UNICODE",
        [0x58] = "BINUNICODE", [0x61] = "APPEND", [0x62] = "BUILD", [0x63] = "GLOBAL", [0x64] = "DICT",
        [0x7D] = "EMPTY_DICT", [0x65] = "APPENDS", [0x67] = "GET", [0x68] = "BINGET", [0x69] = "INST",
        [0x6A] = "LONG_BINGET", [0x6C] = "LIST", [0x5D] = "EMPTY_LIST", [0x6F] = "OBJ", [0x70] = "PUT",
        [0x71] = "BINPUT", [0x72] = "LONG_BINPUT", [0x73] = "SETITEM", [0x74] = "TUPLE", [0x29] = "EMPTY_TUPLE",
        [0x75] = "SETITEMS", [0x47] = "BINFLOAT", [0x80] = "PROTO", [0x81] = "NEWOBJ", [0x82] = "EXT1",
        [0x83] = "EXT2", [0x84] = "EXT4", [0x85] = "TUPLE1", [0x86] = "TUPLE2", [0x87] = "TUPLE3",
        [0x88] = "NEWTRUE", [0x89] = "NEWFALSE", [0x8A] = "LONG1", [0x8B] = "LONG4", [0x42] = "BINBYTES",
        [0x43] = "SHORT_BINBYTES", [0x8C] = "SHORT_BINUNICODE", [0x8D] = "BINUNICODE8", [0x8E] = "BINBYTES8",
        [0x8F] = "EMPTY_SET", [0x90] = "ADDITEMS", [0x91] = "FROZENSET", [0x92] = "NEWOBJ_EX",
        [0x93] = "STACK_GLOBAL", [0x94] = "MEMOIZE", [0x95] = "FRAME", [0x96] = "BYTEARRAY8",
        [0x97] = "NEXT_BUFFER", [0x98] = "READONLY_BUFFER",
    }.ToFrozenDictionary();

    /// <summary>The pickletools name of <paramref name="opcode"/> with its byte, or "unknown opcode 0xNN".</summary>
    internal static string Name(byte opcode) =>
        Names.TryGetValue(opcode, out var name) ? $"{name} (0x{opcode:X2})" : $"unknown opcode 0x{opcode:X2}";
}
