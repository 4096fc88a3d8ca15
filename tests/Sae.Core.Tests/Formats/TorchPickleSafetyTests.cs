using DiffusionSteering.Sae.Core.Formats;

namespace DiffusionSteering.Sae.Core.Tests.Formats;

/// <summary>Hostile pickles are refused with <see cref="UnsafePickleException"/> naming the opcode or global.</summary>
public sealed class TorchPickleSafetyTests
{
    private static UnsafePickleException Refuse(byte[] pickle) =>
        Assert.Throws<UnsafePickleException>(() =>
            TorchPickleReader.ReadStateDict(new MemoryStream(TorchZip.Create(pickle, []))));

    [Fact]
    public void Global_OsSystem_IsRefused()
    {
        // The classic payload: os.system('echo pwned') via GLOBAL + REDUCE.
        byte[] pickle = new PickleBuilder().Proto().Global("os", "system").Str("echo pwned").Tuple1().Reduce()
            .Stop().ToArray();

        var ex = Refuse(pickle);

        Assert.Contains("os.system", ex.Message);
        Assert.Contains("GLOBAL", ex.Message);
    }

    [Fact]
    public void StackGlobal_BuiltinsEval_IsRefused()
    {
        byte[] pickle = new PickleBuilder().Proto(4).ShortStr("builtins").Memoize().ShortStr("eval").Memoize()
            .StackGlobal().ShortStr("__import__('os').system('echo pwned')").Tuple1().Reduce().Stop().ToArray();

        var ex = Refuse(pickle);

        Assert.Contains("builtins.eval", ex.Message);
        Assert.Contains("STACK_GLOBAL", ex.Message);
    }

    [Theory]
    [InlineData("__builtin__", "exec")]
    [InlineData("builtins", "getattr")]
    [InlineData("subprocess", "Popen")]
    [InlineData("posix", "system")]
    [InlineData("torch", "load")]
    [InlineData("torch._utils", "_rebuild_device_tensor_from_numpy")]
    [InlineData("numpy.core.multiarray", "_reconstruct")]
    [InlineData("torch.storage", "TypedStorage")]
    public void Global_OutsideTheAllowList_IsRefused(string module, string name)
    {
        var ex = Refuse(new PickleBuilder().Proto().Global(module, name).Stop().ToArray());

        Assert.Contains($"{module}.{name}", ex.Message);
    }

    [Fact]
    public void Global_HiddenInsideAStateDictValue_IsRefused()
    {
        byte[] pickle = new PickleBuilder().Proto().EmptyDict()
            .Str("w").Tensor("FloatStorage", "0", 1, 0, [1], [1])
            .Str("evil").Global("subprocess", "Popen").Str("sh").Tuple1().Reduce()
            .Op((byte)'u').Stop().ToArray();

        var ex = Assert.Throws<UnsafePickleException>(() =>
            TorchPickleReader.ReadStateDict(new MemoryStream(TorchZip.Create(pickle, [("0", TorchZip.Floats(1f))]))));

        Assert.Contains("subprocess.Popen", ex.Message);
    }

    [Fact]
    public void Reduce_OnAnAllowedButNonCallableGlobal_IsRefused()
    {
        byte[] pickle = new PickleBuilder().Proto().Global("torch", "FloatStorage").Int(4).Tuple1().Reduce()
            .Stop().ToArray();

        var ex = Refuse(pickle);

        Assert.Contains("REDUCE", ex.Message);
        Assert.Contains("torch.FloatStorage", ex.Message);
    }

    [Fact]
    public void Reduce_OnAStringCallable_IsRefused()
    {
        byte[] pickle = new PickleBuilder().Proto().Str("os.system").Str("ls").Tuple1().Reduce().Stop().ToArray();

        var ex = Refuse(pickle);

        Assert.Contains("REDUCE", ex.Message);
    }

    [Fact]
    public void Inst_IsRefused()
    {
        // INST 'os\nsystem\n' with a marked argument: protocol-0 call of os.system('ls').
        byte[] pickle = new PickleBuilder().Mark().Str("ls").Op((byte)'i').Op("os\nsystem\n"u8.ToArray()).Stop().ToArray();

        var ex = Refuse(pickle);

        Assert.Contains("INST", ex.Message);
    }

    [Theory]
    [InlineData(0x6F, "OBJ")]
    [InlineData(0x81, "NEWOBJ")]
    [InlineData(0x92, "NEWOBJ_EX")]
    [InlineData(0x82, "EXT1")]
    [InlineData(0x83, "EXT2")]
    [InlineData(0x84, "EXT4")]
    [InlineData(0x50, "PERSID")]
    [InlineData(0x42, "BINBYTES")]
    [InlineData(0x30, "POP")]
    [InlineData(0x97, "NEXT_BUFFER")]
    [InlineData(0xFF, "unknown opcode 0xFF")]
    public void OtherOpcodes_AreRefusedByName(int opcode, string name)
    {
        var ex = Refuse(new PickleBuilder().Proto().EmptyTuple().EmptyTuple().Op((byte)opcode).Stop().ToArray());

        Assert.Contains(name, ex.Message);
        Assert.Contains($"0x{opcode:X2}", ex.Message);
    }

    [Fact]
    public void Build_OnAPlainDict_IsRefused()
    {
        byte[] pickle = new PickleBuilder().Proto().EmptyDict().EmptyDict().Build().Stop().ToArray();

        var ex = Refuse(pickle);

        Assert.Contains("BUILD", ex.Message);
    }

    [Fact]
    public void Build_OnAnOrderedDictWithNonDictState_IsRefused()
    {
        byte[] pickle = new PickleBuilder().Proto().OrderedDict().Str("state").Build().Stop().ToArray();

        Refuse(pickle);
    }
}
