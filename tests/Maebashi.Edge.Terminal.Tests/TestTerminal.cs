using System.Device.Gpio;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Terminal.Config;
using Maebashi.Edge.Terminal.Emulation.Feedback;
using Maebashi.Edge.Terminal.Feedback;
using Maebashi.Edge.Terminal.Hosting;
using Maebashi.Edge.Terminal.Ledger;
using Maebashi.Edge.Terminal.Roles;
using Maebashi.Edge.Terminal.Taps;
using Maebashi.Edge.Terminal.Uplink;
using Microsoft.Extensions.Time.Testing;

namespace Maebashi.Edge.Terminal.Tests;

/// <summary>A temp directory with owner-only key files and a configuration for one terminal.</summary>
internal sealed class TestSite : IDisposable
{
    public static readonly byte[] DeviceKey = Convert.FromHexString("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
    public static readonly byte[] RegionKey = Convert.FromHexString("6d6165626173686920726567696f6e206b657920666f722074657374732e2e21");

    public TestSite(string role = DeviceRoles.Bus, string deviceId = "BUS0042")
    {
        Directory = Path.Combine(Path.GetTempPath(), "mbe-term-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        SecretFile.Write(Path.Combine(Directory, "device.key"), Convert.ToHexString(DeviceKey));
        SecretFile.Write(Path.Combine(Directory, "region.key"), Convert.ToHexString(RegionKey));
        Options = new TerminalOptions
        {
            DeviceId = deviceId,
            Role = role,
            StateDirectory = Path.Combine(Directory, "state"),
            DeviceKeyFile = Path.Combine(Directory, "device.key"),
            RegionKeyFile = Path.Combine(Directory, "region.key"),
            Control = new ControlOptions { Enabled = false },
            Broker = new BrokerOptions { Host = "127.0.0.1", Port = 1, ReconnectMin = TimeSpan.FromMilliseconds(20), ReconnectMax = TimeSpan.FromMilliseconds(200) },
            Feedback = new FeedbackOptions { GreenPin = 17, RedPin = 27, BuzzerPin = 22 },
            Readers = role switch
            {
                DeviceRoles.Bus =>
                [
                    new ReaderOptions { Name = "rear", Door = "rear", Tap = "board" },
                    new ReaderOptions { Name = "front", Door = "front", Tap = "alight" },
                ],
                DeviceRoles.Event => [new ReaderOptions { Name = "entrance", Tap = "in" }, new ReaderOptions { Name = "exit", Tap = "out" }],
                _ => [new ReaderOptions { Name = "reception" }],
            },
        };
    }

    public string Directory { get; }
    public TerminalOptions Options { get; }

    public static string Token(CardTech tech, string uid) => CardToken.Compute(RegionKey, tech, uid);

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>The pipeline and its parts without the host: ledger, cloud state, vehicle, emulated GPIO, fake clock.</summary>
internal sealed class PipelineRig : IDisposable
{
    public PipelineRig(TerminalOptions options, ILedgerStorage storage, FakeTimeProvider? time = null, IDiskSpace? space = null, LedgerOptions? ledgerOptions = null)
    {
        Options = options;
        Time = time ?? new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 0, 30, 0, TimeSpan.Zero));
        // Background work (checkpoints) in place, after the tap: the disk sees every run's writes in the same order.
        Ledger = TapLedger.Open(storage, ledgerOptions ?? options.Ledger, Time, space, background: static work => work());
        Cloud = new CloudState(null, options.DeviceId, options.Role, Time);
        Vehicle = new VehicleState();
        Driver = new EmulatedGpioDriver();
        Gpio = new GpioController(Driver);
        Display = new TextDisplay();
        Feedback = new TerminalFeedback(Gpio, options.Feedback, Display, Time);
        Pipeline = new TapPipeline(options, TestSite.RegionKey, Ledger, Cloud, Vehicle, Feedback, Time);
    }

    public TerminalOptions Options { get; }
    public FakeTimeProvider Time { get; }
    public TapLedger Ledger { get; }
    public CloudState Cloud { get; }
    public VehicleState Vehicle { get; }
    public EmulatedGpioDriver Driver { get; }
    public GpioController Gpio { get; }
    public TextDisplay Display { get; }
    public TerminalFeedback Feedback { get; }
    public TapPipeline Pipeline { get; }

    public TapOutcome Tap(string uidHex, string reader, CardTech tech = CardTech.Iso14443A) =>
        Pipeline.Tap(new CardRead(tech, Convert.FromHexString(uidHex), reader));

    public void Dispose()
    {
        Feedback.Dispose();
        Gpio.Dispose();
        Ledger.Dispose();
    }
}

internal static class SampleConfig
{
    public static DeviceConfig Bus(long version = 1) => new()
    {
        Version = version,
        Device = "BUS0042",
        Role = DeviceRoles.Bus,
        Vehicle = "V0042",
        Routes =
        [
            new RouteDef
            {
                Id = "R01", Kind = RouteKinds.Zonal, BaseFare = 180, ZoneFare = 40, MaxFare = 340, TransferDiscount = 50,
                Stops = [new() { Id = "S01", Zone = 1 }, new() { Id = "S02", Zone = 1 }, new() { Id = "S03", Zone = 2 }, new() { Id = "S05", Zone = 3 }, new() { Id = "S07", Zone = 5 }],
            },
            new RouteDef { Id = "R02", Kind = RouteKinds.Flat, FlatFare = 100, Stops = [new() { Id = "M01" }, new() { Id = "M02" }] },
        ],
    };

    public static byte[] BusBytes(long version = 1) => ContractJson.Serialize(Bus(version));

    public static byte[] Deny(long version, params string[] tokens) => ContractJson.Serialize(new DenyList { Version = version, Tokens = [.. tokens] });
}
