using System.Device.Gpio;
using System.Security.Cryptography.X509Certificates;
using Iot.Device.Mfrc522;
using Iot.Device.Pn532;
using Iot.Device.Pn532.ListPassive;
using Iot.Device.Rfid;
using Maebashi.Edge.Emulation;
using Maebashi.Edge.Emulation.Cards;
using Maebashi.Edge.Emulation.Mfrc522;
using Maebashi.Edge.Emulation.Pn532;

namespace Maebashi.Edge.Readers.Tests;

/// <summary>The real Iot.Device.Bindings Pn532 driver against the frame-level emulator, on each transport.</summary>
[Trait("Category", "Readers")]
public sealed class Pn532EmulatorTests
{
    [Fact]
    public void I2c_lists_type_a_felica_and_type_b_targets()
    {
        var field = new RfField();
        var chip = new Pn532Chip(field);
        using var pn = new Pn532(new Pn532I2cDevice(chip));
        Assert.Equal(0x32, pn.FirmwareVersion!.IdentificationCode);

        byte[] uid = [0x04, 0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6];
        var typeA = new TypeACard(uid);
        field.Place(typeA);
        byte[]? listed = pn.ListPassiveTarget(MaxTarget.One, TargetBaudRate.B106kbpsTypeA);
        Assert.NotNull(listed);
        Data106kbpsTypeA? a = pn.TryDecode106kbpsTypeA(listed.AsSpan(1));
        Assert.Equal(uid, a!.NfcId);
        field.Clear();

        byte[] idm = Convert.FromHexString("0101120012345678");
        field.Place(new FelicaCard(idm));
        listed = pn.ListPassiveTarget(MaxTarget.One, TargetBaudRate.B212kbps, [0x00, 0xFF, 0xFF, 0x01, 0x00]);
        Data212_424kbps? f = pn.TryDecodeData212_424Kbps(listed.AsSpan(1));
        Assert.Equal(idm, f!.NfcId);
        field.Clear();

        byte[] cert = MyNumberCard.CreateUserAuthenticationCertificate([0x12, 0x34, 0x56]);
        field.Place(new MyNumberCard(cert));
        listed = pn.ListPassiveTarget(MaxTarget.One, TargetBaudRate.B106kbpsTypeB, [0x00]);
        Data106kbpsTypeB? b = pn.TryDecodeData106kbpsTypeB(listed.AsSpan(1));
        Assert.NotNull(b);
        byte[] response = new byte[4];
        byte[] select = [0x00, 0xA4, 0x04, 0x0C, 0x0A, .. MyNumberCard.JpkiAid];
        Assert.Equal(2, pn.Transceive(b!.TargetNumber, select, response, Iot.Device.Card.NfcProtocol.Iso14443_4));
        Assert.Equal([0x90, 0x00], response[..2]);
    }

    [Fact]
    public void Spi_with_chip_select_through_emulated_gpio()
    {
        var field = new RfField();
        var chip = new Pn532Chip(field);
        using var gpio = new GpioController(new EmulatedGpioDriver());
        using var pn = new Pn532(new Pn532SpiDevice(chip), 8, gpio);
        Assert.NotNull(pn.FirmwareVersion);
        field.Place(new TypeACard([1, 2, 3, 4]));
        byte[]? listed = pn.ListPassiveTarget(MaxTarget.One, TargetBaudRate.B106kbpsTypeA);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, pn.TryDecode106kbpsTypeA(listed.AsSpan(1))!.NfcId);
    }

    [Fact]
    public void Hsu_over_a_pseudo_terminal()
    {
        var field = new RfField();
        var chip = new Pn532Chip(field);
        using var hsu = new Pn532Hsu(chip);
        using var pn = new Pn532(hsu.PortName);
        Assert.NotNull(pn.FirmwareVersion);
        field.Place(new TypeACard([1, 2, 3, 4]));
        // The binding allows the UART 89 ms per answer; a reader polls again when one is late.
        byte[]? listed = Eventually(() => pn.ListPassiveTarget(MaxTarget.One, TargetBaudRate.B106kbpsTypeA));
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, pn.TryDecode106kbpsTypeA(listed.AsSpan(1))!.NfcId);
    }

    [Fact]
    public void Mfrc522_uart_over_a_pseudo_terminal()
    {
        var field = new RfField();
        field.Place(new TypeACard([9, 8, 7, 6]));
        using var uart = new Mfrc522SerialPort(new Mfrc522Chip(field));
        using var mfrc = new MfRc522(uart.PortName);
        // Each register access is a UART round trip; the binding gives a command 36 ms, so a
        // loaded machine may need another poll, as a reader does anyway.
        Data106kbpsTypeA? card = Eventually(() => mfrc.ListenToCardIso14443TypeA(out Data106kbpsTypeA c, TimeSpan.Zero) ? c : null);
        Assert.Equal(new byte[] { 9, 8, 7, 6 }, card!.NfcId);
    }

    private static T? Eventually<T>(Func<T?> attempt)
        where T : class
    {
        for (int i = 0; i < 10; i++)
        {
            if (attempt() is { } result)
            {
                return result;
            }
        }

        return null;
    }

    [Theory]
    [InlineData("0102AB")]
    [InlineData("8A01")]
    [InlineData("00AB")]
    [InlineData("7F")]
    [InlineData("3F00112233445566778899AABBCCDDEEFF0011")]
    public void Certificate_serial_reads_back_as_given(string serial)
    {
        byte[] cert = MyNumberCard.CreateUserAuthenticationCertificate(Convert.FromHexString(serial));
        using var x = X509CertificateLoader.LoadCertificate(cert);
        Assert.Equal(serial, x.SerialNumber);
        Assert.Contains("前橋 太郎", x.SubjectName.Name, StringComparison.Ordinal);
    }

    [Fact]
    public void Certificate_serial_with_a_redundant_leading_byte_is_refused()
    {
        Assert.Throws<ArgumentException>(() => MyNumberCard.CreateUserAuthenticationCertificate([0x00, 0x12]));
    }

    [Fact]
    public void Mifare_classic_over_pn532_reads_with_the_right_key_and_fails_with_a_wrong_one()
    {
        byte[] uid = [0x0A, 0x0B, 0x0C, 0x0D];
        byte[] keyB = [0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5];
        var classic = new MifareClassic1KCard(uid, keyB: keyB);
        classic.SetBlock(9, Enumerable.Repeat((byte)0x5A, 16).ToArray());
        var field = new RfField();
        field.Place(classic);
        using var pn = new Pn532(new Pn532I2cDevice(new Pn532Chip(field)));
        byte[]? listed = pn.ListPassiveTarget(MaxTarget.One, TargetBaudRate.B106kbpsTypeA);
        byte target = listed![1];

        var mifare = new Iot.Device.Card.Mifare.MifareCard(pn, target) { BlockNumber = 9, Command = Iot.Device.Card.Mifare.MifareCardCommand.AuthenticationB, KeyB = keyB, SerialNumber = uid, ReselectAfterError = false };
        Assert.True(mifare.RunMifareCardCommand() >= 0);
        mifare.Command = Iot.Device.Card.Mifare.MifareCardCommand.Read16Bytes;
        Assert.Equal(16, mifare.RunMifareCardCommand());
        Assert.All(mifare.Data, b => Assert.Equal(0x5A, b));

        mifare.KeyB = [0, 0, 0, 0, 0, 0];
        mifare.Command = Iot.Device.Card.Mifare.MifareCardCommand.AuthenticationB;
        Assert.True(mifare.RunMifareCardCommand() < 0);
    }

    [Fact]
    public void Hsu_stream_answers_ack_then_response_and_nacks_a_bad_checksum()
    {
        using var stream = new Pn532HsuStream(new Pn532Chip(new RfField()));
        // GetFirmwareVersion: 00 00 FF 02 FE D4 02 2A 00.
        stream.Write([0x00, 0x00, 0xFF, 0x02, 0xFE, 0xD4, 0x02, 0x2A, 0x00]);
        byte[] answer = new byte[6 + 13];
        int read = 0;
        while (read < answer.Length)
        {
            read += stream.Read(answer, read, answer.Length - read);
        }

        Assert.Equal(Pn532Chip.AckFrame, answer[..6]);
        Assert.Equal([0x00, 0x00, 0xFF, 0x06, 0xFA, 0xD5, 0x03, 0x32, 0x01, 0x06, 0x07, 0xE8, 0x00], answer[6..]);

        stream.Write([0x00, 0x00, 0xFF, 0x02, 0xFE, 0xD4, 0x02, 0x2B, 0x00]);
        byte[] nack = new byte[6];
        Assert.Equal(6, stream.Read(nack));
        Assert.Equal(Pn532Chip.NackFrame, nack);
        Assert.Throws<TimeoutException>(() => stream.Read(nack));
    }
}
