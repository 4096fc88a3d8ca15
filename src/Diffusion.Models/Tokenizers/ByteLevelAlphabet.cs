using System.Buffers;
using System.Text;

namespace DiffusionSteering.Diffusion.Models.Tokenizers;

/// <summary>
/// The GPT-2 byte-level alphabet: a bijection between the 256 byte values and 256 printable Unicode characters,
/// so that any UTF-8 byte string can be written as a string of vocabulary symbols.
/// Printable Latin-1 bytes map to themselves; the other 68 bytes map to U+0100 onwards, in byte order.
/// </summary>
internal static class ByteLevelAlphabet
{
    /// <summary>The largest character code the alphabet uses (U+0143).</summary>
    public const int MaxChar = 0x143;

    private static readonly char[] ByteToCharTable = BuildByteToChar();
    private static readonly short[] CharToByteTable = BuildCharToByte(ByteToCharTable);

    /// <summary>The character that stands for <paramref name="value"/>.</summary>
    /// <param name="value">A byte.</param>
    /// <returns>Its alphabet character.</returns>
    public static char ByteToChar(byte value) => ByteToCharTable[value];

    /// <summary>The byte a character stands for, or -1 if the character is not in the alphabet.</summary>
    /// <param name="c">A character.</param>
    /// <returns>The byte value (0..255) or -1.</returns>
    public static int CharToByte(char c) => c <= MaxChar ? CharToByteTable[c] : -1;

    /// <summary>All 256 alphabet characters, sorted by character code.</summary>
    /// <returns>A new array.</returns>
    public static char[] SortedCharacters()
    {
        var chars = (char[])ByteToCharTable.Clone();
        Array.Sort(chars);
        return chars;
    }

    /// <summary>Maps the UTF-8 encoding of <paramref name="text"/> to alphabet characters.</summary>
    /// <param name="text">Any text without lone surrogates.</param>
    /// <returns>One alphabet character per UTF-8 byte.</returns>
    public static string Encode(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty) return string.Empty;
        int maxBytes = text.Length * 3;
        byte[]? rentedBytes = null;
        char[]? rentedChars = null;
        Span<byte> bytes = maxBytes <= 768 ? stackalloc byte[768] : (rentedBytes = ArrayPool<byte>.Shared.Rent(maxBytes));
        try
        {
            int count = Encoding.UTF8.GetBytes(text, bytes);
            Span<char> chars = count <= 768 ? stackalloc char[768] : (rentedChars = ArrayPool<char>.Shared.Rent(count));
            for (int i = 0; i < count; i++) chars[i] = ByteToCharTable[bytes[i]];
            return new string(chars[..count]);
        }
        finally
        {
            if (rentedBytes is not null) ArrayPool<byte>.Shared.Return(rentedBytes);
            if (rentedChars is not null) ArrayPool<char>.Shared.Return(rentedChars);
        }
    }

    private static char[] BuildByteToChar()
    {
        var table = new char[256];
        int extra = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            table[b] = printable ? (char)b : (char)(256 + extra++);
        }
        return table;
    }

    private static short[] BuildCharToByte(char[] byteToChar)
    {
        var table = new short[MaxChar + 1];
        Array.Fill(table, (short)-1);
        for (int b = 0; b < 256; b++) table[byteToChar[b]] = (short)b;
        return table;
    }
}
