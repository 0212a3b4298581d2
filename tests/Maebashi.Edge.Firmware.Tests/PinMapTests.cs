using Maebashi.Edge.Hardware;

namespace Maebashi.Edge.Firmware.Tests;

/// <summary>hardware/pinmaps: the checker refuses each kind of wiring mistake and accepts the shipped maps; the generated
/// diagrams and board constants match the maps.</summary>
[Trait("Category", "Firmware")]
public sealed class PinMapTests
{
    private static readonly string Root = FindRoot();

    [Fact]
    public void The_shipped_pin_maps_pass_the_checker()
    {
        IReadOnlyList<string> files = PinMapLoader.ShippedFiles(Root);
        Assert.Equal(2, files.Count);
        foreach (string file in files)
        {
            Assert.Empty(PinMapChecker.Check(PinMapLoader.Load(file)));
        }
    }

    [Fact]
    public void A_wrong_esp32_map_is_refused_for_each_mistake()
    {
        IReadOnlyList<PinProblem> problems = PinMapChecker.Check(PinMapLoader.Load(Path.Combine(AppContext.BaseDirectory, "PinMaps", "esp32-wrong.json")));

        Assert.Contains(problems, p => p.Kind == PinProblemKind.PinUsedTwice && p.Gpio == 18);
        Assert.Contains(problems, p => p.Kind == PinProblemKind.FlashPin && p.Gpio == 7);
        Assert.Contains(problems, p => p.Kind == PinProblemKind.StrappingPin && p.Gpio == 12 && p.Message.Contains("flash voltage", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Kind == PinProblemKind.InputOnlyPinAsOutput && p.Gpio == 35);
        Assert.DoesNotContain(problems, p => p.Gpio == 17);
        Assert.Equal(4, problems.Count);
    }

    [Fact]
    public void A_wrong_raspberry_pi_map_is_refused_for_unroutable_bus_pins_and_a_pin_used_twice()
    {
        IReadOnlyList<PinProblem> problems = PinMapChecker.Check(PinMapLoader.Load(Path.Combine(AppContext.BaseDirectory, "PinMaps", "raspberrypi-wrong.json")));

        Assert.Contains(problems, p => p.Kind == PinProblemKind.BusPinNotRoutable && p.Gpio == 21 && p.Message.Contains("GPIO 11", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Kind == PinProblemKind.BusPinNotRoutable && p.Gpio == 4 && p.Message.Contains("GPIO 2", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Kind == PinProblemKind.PinUsedTwice && p.Gpio == 10);
        Assert.Equal(3, problems.Count);
    }

    [Theory]
    [InlineData(0, "low", true)]
    [InlineData(0, "high", false)]
    [InlineData(2, "high", true)]
    [InlineData(2, "float", false)]
    [InlineData(5, "low", true)]
    [InlineData(15, "low", true)]
    [InlineData(15, null, true)]
    [InlineData(12, "low", false)]
    public void Esp32_strapping_pins_must_sit_at_their_boot_level(int gpio, string? bootLevel, bool refused)
    {
        var map = new PinMap { Board = "esp32-devkitc", Kind = "esp32" };
        map.Signals.Add(new PinSignal { Gpio = gpio, Function = "gpio", Direction = "out", BootLevel = bootLevel, Device = "X", DevicePin = "Y" });

        Assert.Equal(refused, PinMapChecker.Check(map).Any(p => p.Kind == PinProblemKind.StrappingPin));
    }

    [Fact]
    public void A_file_that_is_not_a_pin_map_is_refused_with_its_name()
    {
        using var stream = new MemoryStream("{\"board\": \"x\", \"pins\": []}"u8.ToArray());
        PinMapException e = Assert.Throws<PinMapException>(() => PinMapLoader.Parse(stream, "odd.json"));
        Assert.StartsWith("odd.json:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_committed_wiring_diagrams_and_board_pins_are_generated_from_the_maps()
    {
        int files = 0;
        foreach ((string path, string content) in GeneratedFiles.From(Root))
        {
            Assert.True(File.Exists(path), $"{path} is missing: run ./maebashi-edge validator pinmap render");
            Assert.True(content == File.ReadAllText(path), $"{path} differs from its pin map: run ./maebashi-edge validator pinmap render");
            files++;
        }

        Assert.Equal(3, files);
    }

    [Fact]
    public void The_terminal_host_wiring_comes_from_its_pin_map()
    {
        HostWiring wiring = HostWiring.FromPinMap(PinMapLoader.Load(Path.Combine(Root, "hardware", "pinmaps", "raspberrypi-4-5-host.json")));

        Assert.Equal(new HostWiring(0, 0, 25, 1, 0x24, 24, "/dev/serial0", 17, 5, 6, 13), wiring);
        Assert.Throws<PinMapException>(() => HostWiring.FromPinMap(PinMapLoader.Load(Path.Combine(AppContext.BaseDirectory, "PinMaps", "raspberrypi-wrong.json"))));
    }

    private static string FindRoot()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (Directory.Exists(Path.Combine(d.FullName, "hardware", "pinmaps")))
            {
                return d.FullName;
            }
        }

        throw new DirectoryNotFoundException("hardware/pinmaps not found above " + AppContext.BaseDirectory);
    }
}
