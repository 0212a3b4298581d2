using System.Text;
using System.Text.Json;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Contract.Tests;

[Trait("Category", "Contract")]
public class IdentityVectorTests
{
    private static readonly CityRegistry Registry = RegistryLoader.Load(SharedFixtures.RegistryPath);

    public static TheoryData<string, string, string> TokenVectors() => Rows("tokens", "tech", "uid", "tok");
    public static TheoryData<string, string, string> SectorVectors() => Rows("sectorIds", "pid", "sector", "sid");

    [Theory]
    [MemberData(nameof(TokenVectors))]
    public void Card_token_matches_the_shared_vector(string tech, string uid, string expected)
    {
        Assert.True(CardTechs.TryParse(tech, out CardTech t));
        Assert.Equal(expected, CardToken.Compute(Registry.RegionKey, t, uid));
        // The token does not depend on how the UID was typed.
        Assert.Equal(expected, CardToken.Compute(Registry.RegionKey, t, uid.ToLowerInvariant()));
    }

    [Theory]
    [MemberData(nameof(SectorVectors))]
    public void Sector_id_matches_the_shared_vector(string pid, string sector, string expected)
    {
        string sid = SectorId.Compute(Registry.LinkKey, pid, sector);
        Assert.Equal(expected, sid);
        Assert.Equal(16, sid.Length);
    }

    [Fact]
    public void Batch_mac_matches_the_shared_vector_and_verifies()
    {
        foreach (JsonElement v in SharedFixtures.Vectors().GetProperty("mac").EnumerateArray())
        {
            DeviceEntry device = Registry.FindDevice(v.GetProperty("device").GetString()!)!;
            byte[] payload = Encoding.UTF8.GetBytes(v.GetProperty("payload").GetString()!);
            string mac = v.GetProperty("mac").GetString()!;
            Assert.Equal(mac, DeviceAuth.ComputeMac(device.Key, payload));
            Assert.True(DeviceAuth.VerifyMac(device.Key, payload, mac));

            payload[^2] ^= 1;
            Assert.False(DeviceAuth.VerifyMac(device.Key, payload, mac));
        }
    }

    [Fact]
    public void Mqtt_password_matches_the_shared_vector()
    {
        foreach (JsonElement v in SharedFixtures.Vectors().GetProperty("mqttPasswords").EnumerateArray())
        {
            DeviceEntry device = Registry.FindDevice(v.GetProperty("device").GetString()!)!;
            Assert.Equal(v.GetProperty("password").GetString(), DeviceAuth.ComputeMqttPassword(device.Key));
        }
    }

    [Fact]
    public void Other_keys_give_other_identities()
    {
        byte[] otherRegion = Convert.FromHexString("00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF");
        string sample = CardToken.Compute(Registry.RegionKey, CardTech.Iso14443A, "04A1B2C3D4E5F6");
        string other = CardToken.Compute(otherRegion, CardTech.Iso14443A, "04A1B2C3D4E5F6");
        Assert.NotEqual(sample, other);
        Assert.Equal(CardToken.Length, other.Length);
        // The tech is part of the token: the same bytes as FeliCa are another card.
        Assert.NotEqual(sample, CardToken.Compute(Registry.RegionKey, CardTech.Jpki, "04A1B2C3D4E5F6"));
    }

    [Fact]
    public void Base32_follows_rfc4648_test_vectors()
    {
        // RFC 4648 §10, without padding.
        Assert.Equal("", Base32.EncodeNoPad(""u8));
        Assert.Equal("MY", Base32.EncodeNoPad("f"u8));
        Assert.Equal("MZXQ", Base32.EncodeNoPad("fo"u8));
        Assert.Equal("MZXW6", Base32.EncodeNoPad("foo"u8));
        Assert.Equal("MZXW6YQ", Base32.EncodeNoPad("foob"u8));
        Assert.Equal("MZXW6YTB", Base32.EncodeNoPad("fooba"u8));
        Assert.Equal("MZXW6YTBOI", Base32.EncodeNoPad("foobar"u8));
    }

    private static TheoryData<string, string, string> Rows(string array, string a, string b, string c)
    {
        var data = new TheoryData<string, string, string>();
        foreach (JsonElement v in SharedFixtures.Vectors().GetProperty(array).EnumerateArray())
        {
            data.Add(v.GetProperty(a).GetString()!, v.GetProperty(b).GetString()!, v.GetProperty(c).GetString()!);
        }

        return data;
    }
}
