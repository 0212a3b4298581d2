namespace Maebashi.Edge.Firmware.Tests;

/// <summary>The technician's validator verbs, run as the program a technician runs (against <c>--port sim</c>).</summary>
[Trait("Category", "Firmware")]
public sealed class ValidatorCliTests
{
    [Fact]
    public void Provision_over_the_simulated_line_reports_the_new_identity()
    {
        (int exit, string output, string error) = Run(null, "validator", "provision", "--port", "sim", "--device-id", "bus-5-rear", "--door", "rear", "--address", "4");
        Assert.True(exit == 0, error);
        Assert.Contains("provisioned: bus-5-rear, door rear, address 4", output, StringComparison.Ordinal);
        Assert.Contains("設定完了 / Provisioned", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Provision_refuses_bad_input_naming_it()
    {
        (int exit, _, string error) = Run(null, "validator", "provision", "--port", "sim", "--device-id", "has space", "--door", "rear", "--address", "4");
        Assert.Equal(2, exit);
        Assert.Contains("device id", error, StringComparison.Ordinal);

        (exit, _, error) = Run(null, "validator", "provision", "--port", "sim", "--device-id", "x", "--door", "roof", "--address", "4");
        Assert.Equal(2, exit);
        Assert.Contains("--door", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Provision_says_when_nobody_answers()
    {
        (int exit, _, string error) = Run(null, "validator", "provision", "--port", "sim", "--device-id", "x", "--door", "1", "--address", "9", "--current-address", "55");
        Assert.Equal(2, exit);
        Assert.Contains("no validator answered at address 55", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Monitor_prints_decoded_frames_of_taps_without_uids()
    {
        (int exit, string output, string error) = Run(null, "validator", "monitor", "--port", "sim", "--seconds", "3");
        Assert.True(exit == 0, error);
        Assert.Contains("Hello", output, StringComparison.Ordinal);
        Assert.Contains("Tap", output, StringComparison.Ordinal);
        Assert.Contains("uid=(7 bytes)", output, StringComparison.Ordinal);
        Assert.Contains("address 1: online sim-bus-front door front", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Flash_without_nanoff_says_how_to_get_it_and_exits_2()
    {
        string empty = Directory.CreateTempSubdirectory("no-nanoff").FullName;
        (int exit, _, string error) = Run(empty, "validator", "flash", "--port", "/dev/ttyUSB0");
        Assert.Equal(2, exit);
        Assert.Contains("dotnet tool install --global nanoff", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Flash_runs_nanoff_with_the_documented_arguments()
    {
        // A stand-in nanoff on PATH records its arguments.
        string dir = Directory.CreateTempSubdirectory("fake-nanoff").FullName;
        string log = Path.Combine(dir, "calls.txt");
        string script = Path.Combine(dir, "nanoff");
        File.WriteAllText(script, $"#!/bin/sh\necho \"$@\" >> '{log}'\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        string image = Path.Combine(dir, "app.bin");
        File.WriteAllBytes(image, [1, 2, 3]);

        (int exit, _, string error) = Run(dir + ":/usr/bin:/bin", "validator", "flash", "--port", "/dev/ttyUSB0", "--image", image);

        Assert.True(exit == 0, error);
        Assert.Equal(
            [$"--target ESP32_REV3 --serialport /dev/ttyUSB0 --update", $"--target ESP32_REV3 --serialport /dev/ttyUSB0 --deploy --image {image}"],
            File.ReadAllLines(log));
    }

    [Fact]
    public void Pinmap_check_accepts_the_shipped_maps_and_refuses_a_wrong_one()
    {
        (int exit, string output, _) = Run(null, "validator", "pinmap", "check");
        Assert.Equal(0, exit);
        Assert.Contains("esp32-devkitc-validator.json: OK", output, StringComparison.Ordinal);

        (exit, output, _) = Run(null, "validator", "pinmap", "check", Path.Combine(AppContext.BaseDirectory, "PinMaps", "esp32-wrong.json"));
        Assert.Equal(1, exit);
        Assert.Contains("FlashPin", output, StringComparison.Ordinal);
        Assert.Contains("StrappingPin", output, StringComparison.Ordinal);
    }

    /// <summary>The CLI run in the output folder, with PATH replaced when given (a stand-in nanoff, or none at all).</summary>
    private static ProcessResult Run(string? path, params string[] args) =>
        EdgeCli.Run(
            new ProcessOptions
            {
                WorkingDirectory = AppContext.BaseDirectory,
                Environment = path is null ? null : new Dictionary<string, string> { ["PATH"] = path },
            },
            args);
}
