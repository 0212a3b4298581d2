using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Terminal.Config;
using Maebashi.Edge.Terminal.Emulation;
using Maebashi.Edge.Terminal.Emulation.Feedback;
using Maebashi.Edge.Terminal.Hosting;

namespace Maebashi.Edge.Terminal.Tests;

/// <summary>Configured readers (the readers library's drivers on chip emulators) feed the terminal.</summary>
[Trait("Category", "Terminal")]
public class ReaderAdapterTests
{
    [Theory]
    [InlineData("emulated:mfrc522-spi", CardTech.Iso14443A, "04A1B2C3D4E5F6")]
    [InlineData("emulated:pn532-i2c", CardTech.Felica, "0101120012345678")]
    public async Task A_card_held_on_an_emulated_reader_is_decided_and_recorded(string driver, CardTech tech, string uid)
    {
        using var site = new TestSite();
        site.Options.Readers = [new ReaderOptions { Name = "door", Driver = driver, Tap = "board", Door = "rear" }];
        await using TerminalRuntime t = TerminalRuntime.Create(site.Options, new TerminalParts { Gpio = new System.Device.Gpio.GpioController(new EmulatedGpioDriver()) }.AddEmulation());
        t.Vehicle.Set("R01", "S01");
        // The passenger's line is shown, then the uplink hears the tap was recorded; the lights' timer later brings the
        // idle line back. The line on the display when the tap is recorded is the tap's.
        string? lastShown = null;
        t.Display.Shown += line => Volatile.Write(ref lastShown, line);
        var recorded = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        t.Ledger.Appended += () => recorded.TrySetResult(Volatile.Read(ref lastShown));
        await t.StartAsync();

        EmulatedReaderTapSource reader = t.Emulated("door");
        Assert.Contains(tech, reader.Techs);
        reader.Rig.Field.Place(VirtualCards.For(tech, Convert.FromHexString(uid)));
        Assert.Equal("乗車 / Boarded", await recorded.Task.WaitAsync(TimeSpan.FromSeconds(30)));

        var entry = Assert.Single(t.Ledger.Records(false));
        Assert.Equal(TestSite.Token(tech, uid), entry.Event.Card!.Tok);
        Assert.Equal(tech.ToWire(), entry.Event.Card.Tech);
        Assert.Equal("rear", entry.Event.Ctx.Door);
        Assert.Equal(1, t.Status("online").Readers!.Single().Taps);
        Assert.True(t.Status("online").Readers!.Single().Healthy);
    }

    [Fact]
    public void A_driver_nobody_provides_is_a_configuration_error_naming_the_reader()
    {
        using var site = new TestSite();
        site.Options.Readers = [new ReaderOptions { Name = "door", Driver = "acr122u" }];
        var e = Assert.Throws<TerminalConfigException>(() => TerminalRuntime.Create(site.Options, new TerminalParts { Gpio = new System.Device.Gpio.GpioController(new EmulatedGpioDriver()) }));
        Assert.Contains("Readers[door]:Driver: no driver 'acr122u'", e.Message, StringComparison.Ordinal);
    }
}

/// <summary>A city card with SUN on the bus's PN532 or MFRC522: the tap carries the message the card mirrored, and the terminal holds no key.</summary>
[Trait("Category", "CardAuth")]
public class SunTapTests
{
    [Theory]
    [InlineData("emulated:pn532-i2c")]
    [InlineData("emulated:mfrc522-spi")]
    public async Task A_city_card_tapped_on_a_reader_is_recorded_with_its_sun_message(string driver)
    {
        using var site = new TestSite();
        site.Options.Readers = [new ReaderOptions { Name = "door", Driver = driver, Tap = "board", Door = "front" }];
        await using TerminalRuntime t = TerminalRuntime.Create(site.Options, new TerminalParts { Gpio = new System.Device.Gpio.GpioController(new EmulatedGpioDriver()) }.AddEmulation());
        t.Vehicle.Set("R01", "S01");
        var recorded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        t.Ledger.Appended += () => recorded.TrySetResult();
        await t.StartAsync();

        byte[] uid = Convert.FromHexString("04C1D2E3F40517");
        var card = Maebashi.Edge.Emulation.Cards.Ntag424DnaCard.Personalised(uid, Convert.FromHexString("A0A1A2A3A4A5A6A7A8A9AAABACADAEAF"), readCounter: 6);
        t.Emulated("door").Rig.Field.Place(card);
        await recorded.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var entry = Assert.Single(t.Ledger.Records(false));
        Assert.Equal(TestSite.Token(CardTech.Iso14443A, "04C1D2E3F40517"), entry.Event.Card!.Tok);
        (byte[] e, byte[] c) = card.LastMirrored!.Value;
        Assert.Equal(Convert.ToHexString(e), entry.Event.Card.Sun!.E);
        Assert.Equal(Convert.ToHexString(c), entry.Event.Card.Sun.C);
        Assert.Equal(7, card.ReadCounter);
    }
}
