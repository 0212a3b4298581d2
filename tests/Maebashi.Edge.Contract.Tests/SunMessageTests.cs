using Maebashi.Edge.CardAuth.Keys;
using Maebashi.Edge.CardAuth.Sun;
using Maebashi.Edge.Contract.Identity;

namespace Maebashi.Edge.Contract.Tests;

/// <summary>The SUN message of NTAG 424 DNA city cards: the crypto vectors the contract names, and the verifier.</summary>
[Trait("Category", "CardAuth")]
public class SunMessageTests
{
    private static readonly byte[] RegionKey = Convert.FromHexString("00112233445566778899AABBCCDDEEFF");
    private static readonly byte[] Master = Convert.FromHexString("A0A1A2A3A4A5A6A7A8A9AAABACADAEAF");
    private static readonly byte[] Uid = Convert.FromHexString("04A1B2C3D4E5F6");

    [Theory]
    [InlineData("", "BB1D6929E95937287FA37D129B756746")]
    [InlineData("6BC1BEE22E409F96E93D7E117393172A", "070A16B46B4D4144F79BDD9DD04A287C")]
    [InlineData("6BC1BEE22E409F96E93D7E117393172AAE2D8A571E03AC9C9EB76FAC45AF8E5130C81C46A35CE411", "DFA66747DE9AE63030CA32611497C827")]
    public void Aes_cmac_matches_rfc_4493(string message, string expected)
    {
        byte[] key = Convert.FromHexString("2B7E151628AED2A6ABF7158809CF4F3C");
        Assert.Equal(expected, Convert.ToHexString(AesCmac.Compute(key, Convert.FromHexString(message))));
    }

    [Fact]
    public void The_worked_example_of_AN12196_decrypts_and_its_mac_verifies()
    {
        byte[] zero = new byte[16];
        Assert.True(SunCrypto.TryDecryptPiccData(zero, Convert.FromHexString("EF963FF7828658A599F3041510671E88"), out byte[] uid, out int counter));
        Assert.Equal("04DE5F1EACC040", Convert.ToHexString(uid));
        Assert.Equal(61, counter);
        Assert.Equal("94EED9EE65337086", Convert.ToHexString(SunCrypto.Mac(zero, uid, counter)));
    }

    [Fact]
    public void A_message_the_card_made_verifies_and_gives_its_counter()
    {
        SunVerifier verifier = Verifier(out string token);
        (string e, string c) = CardRead(Master, Uid, 17);
        Assert.Equal(new SunCheck(SunVerdict.Valid, 17), verifier.Verify(token, CardTech.Iso14443A, 0, e, c));
        // Hex in either case.
        Assert.True(verifier.Verify(token, CardTech.Iso14443A, 0, e.ToLowerInvariant(), c.ToLowerInvariant()).IsValid);
    }

    [Fact]
    public void A_changed_mac_is_a_clone_signal()
    {
        SunVerifier verifier = Verifier(out string token);
        (string e, string c) = CardRead(Master, Uid, 17);
        string forged = (c[0] == '0' ? "1" : "0") + c[1..];
        SunCheck check = verifier.Verify(token, CardTech.Iso14443A, 0, e, forged);
        Assert.Equal(SunVerdict.BadMac, check.Verdict);
        Assert.True(check.IsCloneSignal);
    }

    [Fact]
    public void A_genuine_message_of_another_card_is_a_uid_mismatch()
    {
        SunVerifier verifier = Verifier(out string token);
        (string e, string c) = CardRead(Master, Convert.FromHexString("04000000000001"), 5);
        Assert.Equal(SunVerdict.UidMismatch, verifier.Verify(token, CardTech.Iso14443A, 0, e, c).Verdict);
    }

    [Fact]
    public void A_message_made_under_another_master_does_not_decrypt_to_the_tag()
    {
        SunVerifier verifier = Verifier(out string token);
        (string e, string c) = CardRead(Convert.FromHexString("0F0E0D0C0B0A09080706050403020100"), Uid, 5);
        Assert.Equal(SunVerdict.BadTag, verifier.Verify(token, CardTech.Iso14443A, 0, e, c).Verdict);
    }

    [Theory]
    [InlineData(null, "94EED9EE65337086")]
    [InlineData("EF963FF7828658A599F3041510671E", "94EED9EE65337086")]
    [InlineData("EF963FF7828658A599F3041510671E88", "94EED9EE6533708")]
    [InlineData("EF963FF7828658A599F3041510671EZZ", "94EED9EE65337086")]
    public void Malformed_fields_are_named_malformed_not_clones(string? e, string c)
    {
        SunCheck check = Verifier(out string token).Verify(token, CardTech.Iso14443A, 0, e, c);
        Assert.Equal(SunVerdict.Malformed, check.Verdict);
        Assert.False(check.IsCloneSignal);
    }

    [Fact]
    public void A_card_of_a_key_version_the_ingest_lacks_is_not_verified()
    {
        (string e, string c) = CardRead(Master, Uid, 1);
        Assert.Equal(SunVerdict.UnknownKeyVersion, Verifier(out string token).Verify(token, CardTech.Iso14443A, 3, e, c).Verdict);
    }

    [Fact]
    public void Key_rotation_picks_each_cards_master_by_its_key_version()
    {
        byte[] next = Convert.FromHexString("B0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF");
        CardMasterKeys keys = CardMasterKeys.Parse($"0 {Convert.ToHexString(Master)}\n1 {Convert.ToHexString(next)}\n", "keys");
        var verifier = new SunVerifier(keys, RegionKey);
        string token = CardToken.Compute(RegionKey, CardTech.Iso14443A, Uid);
        (string e, string c) = CardRead(next, Uid, 9);
        Assert.True(verifier.Verify(token, CardTech.Iso14443A, 1, e, c).IsValid);
        Assert.False(verifier.Verify(token, CardTech.Iso14443A, 0, e, c).IsValid);
    }

    [Theory]
    [InlineData("", "no key")]
    [InlineData("A0A1\n", "not 16 bytes of hex")]
    [InlineData("x A0A1A2A3A4A5A6A7A8A9AAABACADAEAF\n", ":1: the version is not")]
    [InlineData("0 A0A1A2A3A4A5A6A7A8A9AAABACADAEAF\n0 B0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF\n", ":2: version 0 is given twice")]
    [InlineData("A0A1A2A3A4A5A6A7A8A9AAABACADAEAF\nB0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF\n", ":1: expected 'VERSION HEX'")]
    public void A_bad_key_file_is_refused_naming_the_line_and_never_the_key(string text, string expected)
    {
        var ex = Assert.Throws<CardKeyFileException>(() => CardMasterKeys.Parse(text, "city.keys"));
        Assert.Contains(expected, ex.Message);
        Assert.DoesNotContain("A0A1A2", ex.Message);
        Assert.StartsWith("city.keys", ex.Message);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void A_key_file_others_can_read_is_refused_naming_its_mode()
    {
        string path = Path.Combine(Path.GetTempPath(), $"card-keys-{Guid.NewGuid():N}");
        try
        {
            File.WriteAllText(path, "# city card master\n" + Convert.ToHexString(Master) + "\n");
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            var ex = Assert.Throws<CardKeyFileException>(() => CardMasterKeys.Load(path));
            Assert.Contains(path, ex.Message);
            Assert.Contains("0644", ex.Message);

            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            Assert.Equal([0], CardMasterKeys.Load(path).Versions);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static SunVerifier Verifier(out string token)
    {
        token = CardToken.Compute(RegionKey, CardTech.Iso14443A, Uid);
        return new SunVerifier(CardMasterKeys.Parse(Convert.ToHexString(Master), "keys"), RegionKey);
    }

    /// <summary>What a city card personalised under <paramref name="master"/> mirrors on a read.</summary>
    private static (string E, string C) CardRead(byte[] master, byte[] uid, int counter)
    {
        byte[] e = SunCrypto.EncryptPiccData(SunKeys.MetaRead(master), uid, counter, [1, 2, 3, 4, 5]);
        byte[] c = SunCrypto.Mac(SunKeys.FileRead(master, uid), uid, counter);
        return (Convert.ToHexString(e), Convert.ToHexString(c));
    }
}
