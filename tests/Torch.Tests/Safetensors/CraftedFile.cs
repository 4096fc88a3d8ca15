using System.Buffers.Binary;
using System.Text;

namespace DiffusionSteering.Torch.Tests.Safetensors;

/// <summary>Builds safetensors bytes by hand (independently of the writer under test).</summary>
internal static class CraftedFile
{
    /// <summary>u64 LE length of <paramref name="header"/>, the header bytes as given (no padding), then the data.</summary>
    public static byte[] Raw(ulong declaredHeaderLength, ReadOnlySpan<byte> header, ReadOnlySpan<byte> data)
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredHeaderLength);
        header.CopyTo(bytes.AsSpan(8));
        data.CopyTo(bytes.AsSpan(8 + header.Length));
        return bytes;
    }

    /// <summary>A file whose header is <paramref name="json"/> (UTF-8, unpadded) followed by <paramref name="dataLength"/> data bytes 0, 1, 2, ….</summary>
    public static byte[] FromJson(string json, int dataLength)
    {
        var header = Encoding.UTF8.GetBytes(json);
        var data = new byte[dataLength];
        for (var i = 0; i < data.Length; i++) data[i] = (byte)i;
        return Raw((ulong)header.Length, header, data);
    }

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="name"/> in <paramref name="dir"/> and returns the full path.</summary>
    public static string Write(TempDirectory dir, string name, byte[] bytes)
    {
        var path = dir.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
