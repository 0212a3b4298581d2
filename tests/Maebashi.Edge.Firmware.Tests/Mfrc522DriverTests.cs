using Maebashi.Edge.Emulation;
using Maebashi.Edge.Emulation.Cards;
using Maebashi.Edge.Emulation.Mfrc522;
using Maebashi.Edge.Firmware.Mfrc522;
using Maebashi.Edge.Firmware.Simulator;
using Maebashi.Edge.Readers.Drivers;

namespace Maebashi.Edge.Firmware.Tests;

/// <summary>The firmware's own MFRC522 driver against the register-level emulator, over SPI framing as on the board.</summary>
[Trait("Category", "Firmware")]
public sealed class Mfrc522DriverTests
{
    private readonly RfField _field = new();
    private readonly Mfrc522Chip _chip;
    private readonly Mfrc522Driver _driver;
    private readonly byte[] _uid = new byte[10];

    public Mfrc522DriverTests()
    {
        _chip = new Mfrc522Chip(_field);
        _driver = new Mfrc522Driver(new SpiRegisterBus(new Mfrc522SpiDevice(_chip)), AntennaGain.Db48);
        Assert.True(_driver.Initialize());
    }

    [Theory]
    [InlineData(4)]
    [InlineData(7)]
    [InlineData(10)]
    public void Reads_the_whole_uid_through_every_cascade_level(int length)
    {
        byte[] expected = Uids.Make(length, 4242);
        _field.Place(new TypeACard(expected, sak: 0x08));

        CardReadStatus status = _driver.TryReadCard(false, _uid, out int read, out byte sak);

        Assert.Equal(CardReadStatus.Card, status);
        Assert.Equal(expected, _uid[..read]);
        Assert.Equal(0x08, sak);
    }

    [Fact]
    public void A_read_card_is_halted_and_not_read_again_until_woken()
    {
        _field.Place(new TypeACard(Uids.Make(7, 1)));
        Assert.Equal(CardReadStatus.Card, _driver.TryReadCard(false, _uid, out _, out _));

        Assert.Equal(CardReadStatus.NoCard, _driver.TryReadCard(false, _uid, out _, out _));
        Assert.Equal(CardReadStatus.Card, _driver.TryReadCard(true, _uid, out _, out _));
    }

    [Fact]
    public void No_card_is_reported_from_the_chip_timer()
    {
        Assert.Equal(CardReadStatus.NoCard, _driver.TryReadCard(false, _uid, out int read, out _));
        Assert.Equal(0, read);
    }

    [Fact]
    public void The_crc_coprocessor_computes_crc_a()
    {
        // ISO/IEC 14443-3 annex B: CRC_A of HLTA (50 00) is 57 CD.
        byte[] result = new byte[2];
        Assert.True(_driver.CalculateCrc([0x50, 0x00], 0, 2, result, 0));
        Assert.Equal(new byte[] { 0x57, 0xCD }, result);
    }

    [Fact]
    public void Initialisation_sets_the_timer_antenna_and_gain()
    {
        Assert.Equal(0x92, _driver.Version);
        Assert.Equal(0x03, _chip.ReadRegister((byte)Register.TxControl) & 0x03);
        Assert.Equal(0x70, _chip.ReadRegister((byte)Register.RfCfg) & 0x70);
        Assert.InRange(_chip.TimerPeriodMicroseconds, 24_000, 26_000);

        _driver.Gain = AntennaGain.Db33;
        Assert.Equal(0x40, _chip.ReadRegister((byte)Register.RfCfg) & 0x70);
    }

    [Fact]
    public void A_chip_that_stops_answering_is_detected_and_reinitialised_by_soft_reset()
    {
        var card = new TypeACard(Uids.Make(4, 9));
        _chip.StopAnswering(softResetRecovers: true, stuckValue: 0x00);
        _field.Place(card);

        Assert.Equal(CardReadStatus.ChipNotAnswering, _driver.TryReadCard(false, _uid, out _, out _));
        Assert.False(_driver.ChipPresent);
        Assert.True(_driver.Reinitialise());

        Assert.Equal(CardReadStatus.Card, _driver.TryReadCard(false, _uid, out int read, out _));
        Assert.Equal(Uids.Make(4, 9), _uid[..read]);
        Assert.Equal(1, _driver.Reinitialisations);
        Assert.True(_chip.SoftResets >= 2);
    }

    [Fact]
    public void A_chip_stuck_high_is_detected_too()
    {
        _chip.StopAnswering(softResetRecovers: true, stuckValue: 0xFF);
        _field.Place(new TypeACard(Uids.Make(7, 3)));

        Assert.Equal(CardReadStatus.ChipNotAnswering, _driver.TryReadCard(false, _uid, out _, out _));
        Assert.True(_driver.Reinitialise());
        Assert.Equal(CardReadStatus.Card, _driver.TryReadCard(false, _uid, out _, out _));
    }

    [Fact]
    public void A_chip_reset_by_a_brown_out_is_configured_again_by_the_health_check()
    {
        // Power-on defaults: antenna off, timer unset. Reads still answer, but no card would ever be seen.
        _chip.HardReset();
        _field.Place(new TypeACard(Uids.Make(10, 5)));

        Assert.True(_driver.EnsureHealthy());
        Assert.Equal(1, _driver.Reinitialisations);
        Assert.Equal(CardReadStatus.Card, _driver.TryReadCard(false, _uid, out int read, out _));
        Assert.Equal(10, read);
    }

    [Fact]
    public void A_chip_that_stays_silent_is_reported_not_present()
    {
        _chip.StopAnswering(softResetRecovers: false);

        Assert.False(_driver.EnsureHealthy());
        Assert.False(_driver.ChipPresent);
        Assert.Equal(CardReadStatus.ChipNotAnswering, _driver.TryReadCard(false, _uid, out _, out _));
    }
}
