using System.Text.Json;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Readers.Tests;

/// <summary><c>maebashi-edge read</c>, run as the program a technician runs.</summary>
[Trait("Category", "Readers")]
public sealed class CliReadTests
{
    [Theory]
    [InlineData("0C8F3A21")]
    [InlineData("8A01F3")]
    [InlineData("3F00112233445566778899AABBCCDDEEFF0011")]
    public void Read_jpki_on_pn532_i2c_prints_the_certificate_serial_and_nothing_personal(string serial)
    {
        (int exit, string output, string error) = EdgeCli.Run("read", "--reader", "pn532-i2c", "--emulate", $"jpki:{serial}");

        Assert.Equal(0, exit);
        Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using JsonDocument json = JsonDocument.Parse(output);
        Assert.Equal(["tech", "uid"], json.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal("jpki", json.RootElement.GetProperty("tech").GetString());
        Assert.Equal(serial, json.RootElement.GetProperty("uid").GetString());
        // The emulated certificate names 前橋 太郎 of 群馬県前橋市大手町2-12-1: none of it may come out.
        foreach (string personal in new[] { "前橋", "太郎", "群馬", "大手町", "2-12-1", "CN=", "L=", "\\u" })
        {
            Assert.DoesNotContain(personal, output, StringComparison.Ordinal);
            Assert.DoesNotContain(personal, error, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("mfrc522-spi", "iso14443a:1A2B3C4D")]
    [InlineData("mfrc522-i2c", "iso14443a:04A1B2C3D4E5F6")]
    [InlineData("mfrc522-uart", "iso14443a:04A1B2C3D4E5F6071829")]
    [InlineData("pn532-spi", "felica:0101120012345678")]
    [InlineData("pn532-i2c", "iso14443a:04A1B2C3D4E5F6")]
    [InlineData("pn532-hsu", "jpki:0C8F3A21")]
    public void Read_with_a_registry_prints_tech_uid_and_token(string kind, string spec)
    {
        (int exit, string output, _) = EdgeCli.Run("read", "--reader", kind, "--emulate", spec, "--registry", SharedFixtures.RegistryPath);

        Assert.Equal(0, exit);
        using JsonDocument json = JsonDocument.Parse(output);
        string tech = spec[..spec.IndexOf(':', StringComparison.Ordinal)];
        string uid = spec[(spec.IndexOf(':', StringComparison.Ordinal) + 1)..];
        Assert.Equal(tech, json.RootElement.GetProperty("tech").GetString());
        Assert.Equal(uid, json.RootElement.GetProperty("uid").GetString());
        byte[] regionKey = Convert.FromHexString(RegistryLoader.Load(SharedFixtures.RegistryPath).Document.Keys!.RegionKey!);
        Assert.True(CardTechs.TryParse(tech, out CardTech cardTech));
        Assert.Equal(CardToken.Compute(regionKey, cardTech, uid), json.RootElement.GetProperty("tok").GetString());
    }

    [Theory]
    [InlineData("mfrc522-spi", "felica:0101120012345678", "felica")]
    [InlineData("mfrc522-i2c", "jpki:0C8F3A21", "jpki")]
    [InlineData("mfrc522-uart", "felica:0101120012345678", "felica")]
    public void Read_of_a_tech_the_reader_cannot_see_is_a_clear_error(string kind, string spec, string tech)
    {
        (int exit, string output, _) = EdgeCli.Run("read", "--reader", kind, "--emulate", spec);

        Assert.Equal(2, exit);
        using JsonDocument json = JsonDocument.Parse(output);
        string error = json.RootElement.GetProperty("error").GetString()!;
        Assert.Contains(kind, error, StringComparison.Ordinal);
        Assert.Contains(tech, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("pn532-i2c", "iso14443a:04A1", "4, 7 or 10 bytes")]
    [InlineData("pn532-i2c", "felica:01011200", "8 bytes")]
    [InlineData("pn532-i2c", "barcode:0102", "unknown card tech")]
    [InlineData("pn532-i2c", "04A1B2C3", "tech:uid")]
    [InlineData("pn532-i2c", "iso14443a:XYZ1", "hex")]
    [InlineData("pn532-usb", "iso14443a:04A1B2C3D4E5F6", "unknown reader kind")]
    public void Read_with_bad_arguments_says_what_was_wrong(string kind, string spec, string expected)
    {
        (int exit, string output, _) = EdgeCli.Run("read", "--reader", kind, "--emulate", spec);

        Assert.Equal(2, exit);
        using JsonDocument json = JsonDocument.Parse(output);
        Assert.Contains(expected, json.RootElement.GetProperty("error").GetString()!, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_on_a_machine_without_the_reader_reports_the_reader_error()
    {
        (int exit, string output, _) = EdgeCli.Run("read", "--reader", "mfrc522-uart", "--port", "/dev/does-not-exist", "--timeout", "1");

        Assert.Equal(2, exit);
        using JsonDocument json = JsonDocument.Parse(output);
        Assert.Contains("mfrc522-uart", json.RootElement.GetProperty("error").GetString()!, StringComparison.Ordinal);
    }
}
