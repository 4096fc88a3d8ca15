using System.Buffers.Binary;
using System.Text.Json;
using DiffusionSteering.Sae.Core.Formats;
using DiffusionSteering.Tests;

namespace DiffusionSteering.Sae.Core.Tests.Formats;

/// <summary>Reads the dictionary_learning (DLM-Scope) <c>ae.pt</c> fixture and checks it against the sparsify copy.</summary>
public sealed class TorchPickleFixtureTests
{
    private static string AePath => FixturePaths.Fixture("sae", "dictionary_learning", "resid_post_layer_1", "trainer_0", "ae.pt");

    private static string SparsifyPath => FixturePaths.Fixture("sae", "sparsify", "layers.1", "sae.safetensors");

    [Fact]
    public void ReadStateDict_Fixture_HasTheDictionaryLearningKeysShapesAndDtypes()
    {
        var (d, f, _) = ReadConfig();
        var tensors = TorchPickleReader.ReadStateDict(AePath);

        Assert.Equal(new[] { "b_dec", "k", "threshold", "decoder.weight", "encoder.weight", "encoder.bias" }, tensors.Keys);
        AssertTensor(tensors["b_dec"], TorchDType.Float32, [d]);
        AssertTensor(tensors["k"], TorchDType.Int32, []);
        AssertTensor(tensors["threshold"], TorchDType.Float32, []);
        AssertTensor(tensors["decoder.weight"], TorchDType.Float32, [d, f]);
        AssertTensor(tensors["encoder.weight"], TorchDType.Float32, [f, d]);
        AssertTensor(tensors["encoder.bias"], TorchDType.Float32, [f]);
        Assert.All(tensors.Values, t => Assert.Equal("cpu", t.Location));
    }

    [Fact]
    public void ReadStateDict_Fixture_ScalarsHaveTheirSavedValues()
    {
        var (_, _, k) = ReadConfig();
        var tensors = TorchPickleReader.ReadStateDict(AePath);

        Assert.Equal(k, tensors["k"].ToScalarInt64());
        float threshold = tensors["threshold"].ToScalarFloat32();
        Assert.True(float.IsFinite(threshold) && threshold > 0, $"threshold {threshold} should be a positive finite value");
    }

    [Fact]
    public void ReadStateDict_Fixture_WeightsEqualTheSparsifyCopyBitForBit()
    {
        var tensors = TorchPickleReader.ReadStateDict(AePath);
        var sparsify = SafetensorsF32.Read(SparsifyPath);

        Assert.Equal(sparsify["encoder.weight"].Data, tensors["encoder.weight"].ToFloat32());
        Assert.Equal(sparsify["encoder.bias"].Data, tensors["encoder.bias"].ToFloat32());
        Assert.Equal(sparsify["b_dec"].Data, tensors["b_dec"].ToFloat32());

        // sparsify stores W_dec = decoder.weightᵀ [F, D]; decoder.weight is [D, F].
        var (wDecShape, wDec) = sparsify["W_dec"];
        PickledTensor decoderTensor = tensors["decoder.weight"];
        Assert.Equal(new[] { decoderTensor.Shape[1], decoderTensor.Shape[0] }, wDecShape);
        int d = (int)decoderTensor.Shape[0], f = (int)decoderTensor.Shape[1];
        float[] decoder = decoderTensor.ToFloat32();
        for (int row = 0; row < d; row++)
        {
            for (int col = 0; col < f; col++)
            {
                Assert.Equal(wDec[col * d + row], decoder[row * f + col]);
            }
        }
    }

    [Fact]
    public void ReadStateDict_StreamOverloads_MatchThePathOverload()
    {
        byte[] file = File.ReadAllBytes(AePath);
        var fromPath = TorchPickleReader.ReadStateDict(AePath);
        var fromStream = TorchPickleReader.ReadStateDict(new MemoryStream(file, writable: false));
        var fromForwardOnly = TorchPickleReader.ReadStateDict(new ForwardOnlyStream(file));

        foreach (var (name, tensor) in fromPath)
        {
            Assert.Equal(tensor.ToContiguousBytes(), fromStream[name].ToContiguousBytes());
            Assert.Equal(tensor.ToContiguousBytes(), fromForwardOnly[name].ToContiguousBytes());
        }
    }

    [Fact]
    public void ReadCheckpoint_Fixture_IsAPlainDictWithOnlyTensors()
    {
        var checkpoint = TorchPickleReader.ReadCheckpoint(AePath);

        Assert.False(checkpoint.IsOrderedDict);
        Assert.Empty(checkpoint.Values);
        Assert.Equal(6, checkpoint.Tensors.Count);
    }

    /// <summary>activation_dim, dict_size and k from the trainer config beside ae.pt.</summary>
    private static (long D, long F, long K) ReadConfig()
    {
        using var config = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Path.GetDirectoryName(AePath)!, "config.json")));
        JsonElement trainer = config.RootElement.GetProperty("trainer");
        return (trainer.GetProperty("activation_dim").GetInt64(), trainer.GetProperty("dict_size").GetInt64(),
            trainer.GetProperty("k").GetInt64());
    }

    private static void AssertTensor(PickledTensor tensor, TorchDType dtype, long[] shape)
    {
        Assert.Equal(dtype, tensor.DType);
        Assert.Equal(shape, tensor.Shape);
        Assert.Equal(shape.Aggregate(1L, (a, b) => a * b), tensor.ElementCount);
    }

    /// <summary>A tiny safetensors reader for F32 tensors: 8-byte LE header length, JSON header, raw data.</summary>
    private static class SafetensorsF32
    {
        public static Dictionary<string, (long[] Shape, float[] Data)> Read(string path)
        {
            byte[] file = File.ReadAllBytes(path);
            long headerLength = BinaryPrimitives.ReadInt64LittleEndian(file);
            int dataStart = checked(8 + (int)headerLength);
            using var header = JsonDocument.Parse(file.AsMemory(8, (int)headerLength));
            var result = new Dictionary<string, (long[], float[])>(StringComparer.Ordinal);
            foreach (var entry in header.RootElement.EnumerateObject())
            {
                if (entry.Name == "__metadata__") continue;
                Assert.Equal("F32", entry.Value.GetProperty("dtype").GetString());
                long[] shape = entry.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                int begin = entry.Value.GetProperty("data_offsets")[0].GetInt32();
                int end = entry.Value.GetProperty("data_offsets")[1].GetInt32();
                var data = new float[(end - begin) / 4];
                for (int i = 0; i < data.Length; i++)
                {
                    data[i] = BinaryPrimitives.ReadSingleLittleEndian(file.AsSpan(dataStart + begin + i * 4));
                }
                result.Add(entry.Name, (shape, data));
            }
            return result;
        }
    }

    /// <summary>A read-only stream that cannot seek, like a network or pipe stream.</summary>
    private sealed class ForwardOnlyStream(byte[] data) : Stream
    {
        private readonly MemoryStream _inner = new(data, writable: false);

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
