using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Terminal.Emulation.Feedback;
using Maebashi.Edge.Terminal.Hosting;

namespace Maebashi.Edge.Terminal.Tests;

/// <summary>
/// The uplink's warm-up (run before the first tap so that a draining backlog does not compile the messages' JSON on the
/// cores the taps need) must keep parsing its own sample messages as the contract changes, and must record or send nothing.
/// </summary>
[Trait("Category", "Architecture")]
public class UplinkWarmUpTests
{
    [Theory]
    [InlineData(DeviceRoles.Bus, "BUS0042")]
    [InlineData(DeviceRoles.Event, "EVT01")]
    [InlineData(DeviceRoles.Clinic, "CLN01")]
    public async Task The_warm_up_parses_every_kind_of_message_and_leaves_the_ledger_empty(string role, string device)
    {
        using var site = new TestSite(role, device);
        await using TerminalRuntime t = TerminalRuntime.Create(site.Options,
            new TerminalParts { Time = TimeProvider.System, Gpio = new System.Device.Gpio.GpioController(new EmulatedGpioDriver()) });

        t.Uplink.WarmUp();

        Assert.Equal(0, t.Ledger.Entries);
        Assert.Equal(0, t.Ledger.Backlog);
        Assert.Equal(0, t.Uplink.BatchesPublished);
    }
}
