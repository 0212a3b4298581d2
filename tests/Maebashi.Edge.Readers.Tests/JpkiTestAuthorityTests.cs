using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Maebashi.Edge.Emulation.Cards;

namespace Maebashi.Edge.Readers.Tests;

/// <summary>The emulated JPKI CA issues what a real one does: a chain the ingest can build, the exact serial, a signed CRL.</summary>
[Trait("Category", "CardAuth")]
public sealed class JpkiTestAuthorityTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("0C8F3A21")]
    [InlineData("8F3A21")]
    [InlineData("3F00112233445566778899AABBCCDDEEFF0011")]
    public void An_issued_certificate_keeps_its_serial_and_chains_to_the_root(string serialHex)
    {
        using var ca = JpkiTestAuthority.Create(Start);
        using JpkiUserCredential user = ca.IssueUserAuthentication(Convert.FromHexString(serialHex), Start, Start.AddYears(5));
        using X509Certificate2 cert = X509CertificateLoader.LoadCertificate(user.CertificateDer);

        Assert.Equal(serialHex, cert.SerialNumber);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(X509CertificateLoader.LoadCertificate(ca.Root.RawData));
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = Start.AddDays(10).UtcDateTime;
        Assert.True(chain.Build(cert), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));

        byte[] message = "reception-1|7|2026-01-11T09:00:00+09:00"u8.ToArray();
        byte[] signature = user.PrivateKey.SignData(message, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using RSA publicKey = cert.GetRSAPublicKey()!;
        Assert.True(publicKey.VerifyData(message, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    [Fact]
    public void A_certificate_from_another_authority_does_not_chain()
    {
        using var ca = JpkiTestAuthority.Create(Start);
        using var other = JpkiTestAuthority.Create(Start, "Someone else");
        using JpkiUserCredential user = other.IssueUserAuthentication([0x42], Start, Start.AddYears(5));
        using X509Certificate2 cert = X509CertificateLoader.LoadCertificate(user.CertificateDer);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(X509CertificateLoader.LoadCertificate(ca.Root.RawData));
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = Start.AddDays(10).UtcDateTime;
        Assert.False(chain.Build(cert));
    }

    [Fact]
    public void The_crl_lists_the_revoked_serials()
    {
        using var ca = JpkiTestAuthority.Create(Start);
        byte[] crl = ca.CreateCrl([(new byte[] { 0x0C, 0x8F }, Start.AddDays(3))], Start.AddDays(4), Start.AddDays(11), crlNumber: 7);
        CertificateRevocationListBuilder loaded = CertificateRevocationListBuilder.Load(crl, out System.Numerics.BigInteger number);
        Assert.Equal(7, (int)number);
        Assert.True(loaded.RemoveEntry([0x0C, 0x8F]));
        Assert.False(loaded.RemoveEntry([0x0C, 0x90]));
    }
}
