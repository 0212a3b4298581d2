using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Maebashi.Edge.Firmware.Tests;

/// <summary>The firmware core compiled against nanoFramework's mscorlib (firmware/Core.Nano, built with the solution).</summary>
[Trait("Category", "Firmware")]
public sealed class NanoBuildTests
{
    [Fact]
    public void The_nano_build_references_only_nanoFrameworks_mscorlib()
    {
        using var stream = File.OpenRead(NanoAssemblyPath());
        using var pe = new PEReader(stream);
        MetadataReader md = pe.GetMetadataReader();

        string[] references = [.. md.AssemblyReferences.Select(h => md.GetString(md.GetAssemblyReference(h).Name))];
        Assert.Equal(["mscorlib"], references);

        // nanoFramework's mscorlib is version 1.x (the desktop one is 4.0.0.0).
        Version version = md.GetAssemblyReference(md.AssemblyReferences.Single()).Version;
        Assert.Equal(1, version.Major);

        string[] types = [.. md.TypeDefinitions.Select(h => md.GetString(md.GetTypeDefinition(h).Name))];
        Assert.Contains("Mfrc522Driver", types);
        Assert.Contains("TapLoop", types);
        Assert.Contains("TapRingBuffer", types);
        Assert.Contains("ValidatorLink", types);
        Assert.Contains("ValidatorFirmware", types);
    }

    private static string NanoAssemblyPath()
    {
        // tests/Maebashi.Edge.Firmware.Tests/bin/<Configuration>/net10.0/ → firmware/Core.Nano/bin/<Configuration>/net10.0/
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string configuration = here.Parent!.Name;
        for (DirectoryInfo? d = here; d is not null; d = d.Parent)
        {
            string candidate = Path.Combine(d.FullName, "firmware", "Core.Nano", "bin", configuration, "net10.0", "Maebashi.Edge.Firmware.Core.Nano.dll");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("the nanoFramework build of the firmware core was not found above " + AppContext.BaseDirectory);
    }
}
