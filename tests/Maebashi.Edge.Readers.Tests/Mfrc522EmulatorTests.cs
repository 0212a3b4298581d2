using Iot.Device.Card.Mifare;
using Iot.Device.Card.Ultralight;
using Iot.Device.Mfrc522;
using Iot.Device.Rfid;
using Maebashi.Edge.Emulation;
using Maebashi.Edge.Emulation.Cards;
using Maebashi.Edge.Emulation.Mfrc522;

namespace Maebashi.Edge.Readers.Tests;

/// <summary>The real Iot.Device.Bindings MfRc522 driver against the register-level emulator.</summary>
[Trait("Category", "Readers")]
public sealed class Mfrc522EmulatorTests
{
    [Theory]
    [InlineData("04A1B2C3")]
    [InlineData("04A1B2C3D4E5F6")]
    [InlineData("04A1B2C3D4E5F6071829")]
    public void Binding_selects_uids_at_every_cascade_level(string uidHex)
    {
        byte[] uid = Convert.FromHexString(uidHex);
        var field = new RfField();
        field.Place(new TypeACard(uid));
        using var mfrc = new MfRc522(new Mfrc522SpiDevice(new Mfrc522Chip(field)));

        Assert.True(mfrc.ListenToCardIso14443TypeA(out Data106kbpsTypeA card, TimeSpan.Zero));
        Assert.Equal(uid, card.NfcId);
    }

    [Fact]
    public void Binding_reports_no_card_on_an_empty_field_quickly()
    {
        using var mfrc = new MfRc522(new Mfrc522I2cDevice(new Mfrc522Chip(new RfField())));
        Assert.False(mfrc.ListenToCardIso14443TypeA(out _, TimeSpan.Zero));
    }

    [Fact]
    public void Version_register_maps_to_binding_versions()
    {
        var field = new RfField();
        Assert.Equal(new Version(2, 0), new MfRc522(new Mfrc522SpiDevice(new Mfrc522Chip(field, 0x92))).Version);
        Assert.Equal(new Version(1, 0), new MfRc522(new Mfrc522SpiDevice(new Mfrc522Chip(field, 0x91))).Version);
        Assert.Equal(new Version(0, 0), new MfRc522(new Mfrc522SpiDevice(new Mfrc522Chip(field, 0x12))).Version);
    }

    [Fact]
    public void Mifare_classic_reads_blocks_with_the_right_key_and_fails_with_a_wrong_one()
    {
        byte[] uid = [0xDE, 0xAD, 0xBE, 0xEF];
        byte[] keyA = [1, 2, 3, 4, 5, 6];
        var classic = new MifareClassic1KCard(uid, keyA);
        byte[] data = Enumerable.Range(0, 16).Select(i => (byte)(0x40 + i)).ToArray();
        classic.SetBlock(5, data);
        var field = new RfField();
        field.Place(classic);
        using var mfrc = new MfRc522(new Mfrc522SpiDevice(new Mfrc522Chip(field)));
        Assert.True(mfrc.ListenToCardIso14443TypeA(out Data106kbpsTypeA card, TimeSpan.Zero));

        var mifare = new MifareCard(mfrc, 0) { BlockNumber = 5, Command = MifareCardCommand.AuthenticationA, KeyA = keyA, SerialNumber = card.NfcId, Capacity = MifareCardCapacity.Mifare1K };
        Assert.True(mifare.RunMifareCardCommand() >= 0);
        mifare.Command = MifareCardCommand.Read16Bytes;
        Assert.Equal(16, mifare.RunMifareCardCommand());
        Assert.Equal(data, mifare.Data);

        // Wrong key: authentication fails and the block cannot be read.
        Assert.True(mfrc.ListenToCardIso14443TypeA(out _, TimeSpan.Zero) || mfrc.ReselectTarget(0));
        mifare.KeyA = [9, 9, 9, 9, 9, 9];
        mifare.Command = MifareCardCommand.AuthenticationA;
        mifare.ReselectAfterError = false;
        Assert.True(mifare.RunMifareCardCommand() < 0);
    }

    [Fact]
    public void Ntag_pages_are_read_through_the_binding()
    {
        byte[] uid = [0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66];
        var tag = new UltralightTag(uid, UltralightVariant.Ntag215);
        tag.SetPage(4, [0xCA, 0xFE, 0xBA, 0xBE]);
        var field = new RfField();
        field.Place(tag);
        using var mfrc = new MfRc522(new Mfrc522SpiDevice(new Mfrc522Chip(field)));
        Assert.True(mfrc.ListenToCardIso14443TypeA(out Data106kbpsTypeA card, TimeSpan.Zero));
        var ultralight = new UltralightCard(mfrc, 0) { SerialNumber = card.NfcId };
        ultralight.Command = UltralightCommand.Read16Bytes;
        ultralight.BlockNumber = 4;
        Assert.Equal(16, ultralight.RunUltralightCommand());
        Assert.Equal([0xCA, 0xFE, 0xBA, 0xBE], ultralight.Data![..4]);
    }
}
