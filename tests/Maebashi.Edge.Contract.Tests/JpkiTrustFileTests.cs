using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Maebashi.Edge.CardAuth.Jpki;

namespace Maebashi.Edge.Contract.Tests;

/// <summary>
/// The JPKI trust files an ingest is started with: roots as PEM, a CRL as DER or PEM signed by one of them. What
/// cannot be used is refused naming the file and what is wrong.
/// </summary>
[Trait("Category", "CardAuth")]
public sealed class JpkiTrustFileTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly RSA _key = RSA.Create(2048);
    private readonly X509Certificate2 _root;

    public JpkiTrustFileTests() => _root = MakeRoot(_key, "CN=Test JPKI CA, C=JP");

    [Fact]
    public void Roots_are_read_from_one_or_more_pem_certificates()
    {
        using RSA otherKey = RSA.Create(2048);
        using X509Certificate2 other = MakeRoot(otherKey, "CN=Second JPKI CA, C=JP");

        using JpkiTrustAnchors roots = JpkiTrustAnchors.Parse(_root.ExportCertificatePem() + "\n" + other.ExportCertificatePem(), "roots.pem");

        Assert.Equal([_root.Thumbprint, other.Thumbprint], roots.Roots.Select(r => r.Thumbprint));
    }

    [Theory]
    [InlineData("", "roots.pem: no PEM certificate")]
    [InlineData("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "roots.pem: a CERTIFICATE block does not parse as X.509")]
    public void A_roots_file_without_a_usable_certificate_is_refused_naming_it(string pem, string problem)
    {
        var e = Assert.Throws<JpkiTrustFileException>(() => JpkiTrustAnchors.Parse(pem, "roots.pem"));
        Assert.StartsWith(problem, e.Message);
    }

    [Fact]
    public void A_certificate_that_is_not_a_ca_is_not_a_root()
    {
        using RSA leafKey = RSA.Create(2048);
        var request = new CertificateRequest("CN=Someone", leafKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        using X509Certificate2 leaf = request.CreateSelfSigned(Start, Start.AddYears(1));

        var e = Assert.Throws<JpkiTrustFileException>(() => JpkiTrustAnchors.Parse(leaf.ExportCertificatePem(), "roots.pem"));
        Assert.Equal("roots.pem: certificate 1 (CN=Someone) is not a CA certificate", e.Message);
    }

    [Fact]
    public void A_crl_reads_the_same_as_der_or_pem_with_each_serials_revocation_time_its_next_update_and_number()
    {
        using JpkiTrustAnchors roots = JpkiTrustAnchors.Parse(_root.ExportCertificatePem(), "roots.pem");
        byte[] der = Crl(_root, _key, [([0x5A, 0x3C], Start.AddDays(3))], nextUpdate: Start.AddDays(10), number: 7);
        string pem = PemEncoding.WriteString("X509 CRL", der);

        foreach (JpkiRevocationList crl in new[] { JpkiRevocationList.Parse(der, "jpki.crl", roots), JpkiRevocationList.Parse(System.Text.Encoding.ASCII.GetBytes(pem), "jpki.crl", roots) })
        {
            Assert.Equal(Start.AddDays(3), crl.RevokedAt([0x5A, 0x3C]));
            Assert.Null(crl.RevokedAt([0x5A, 0x3D]));
            Assert.Equal(Start.AddDays(10), crl.NextUpdate);
            Assert.Equal(new BigInteger(7), crl.Number);
            Assert.True(crl.IsCurrent(Start.AddDays(10)));
            Assert.False(crl.IsCurrent(Start.AddDays(10).AddSeconds(1)));
        }
    }

    [Fact]
    public void A_crl_not_signed_by_its_root_is_refused_naming_the_file()
    {
        using JpkiTrustAnchors roots = JpkiTrustAnchors.Parse(_root.ExportCertificatePem(), "roots.pem");
        // The root's name on a CRL signed with another key: a forgery.
        using RSA forger = RSA.Create(2048);
        using X509Certificate2 impostor = MakeRoot(forger, "CN=Test JPKI CA, C=JP");
        var forged = Assert.Throws<JpkiTrustFileException>(() => JpkiRevocationList.Parse(Crl(impostor, forger, [], Start.AddDays(10), 1), "jpki.crl", roots));
        Assert.StartsWith("jpki.crl: its signature does not verify with the root", forged.Message);

        using X509Certificate2 stranger = MakeRoot(forger, "CN=Another CA, C=JP");
        var foreign = Assert.Throws<JpkiTrustFileException>(() => JpkiRevocationList.Parse(Crl(stranger, forger, [], Start.AddDays(10), 1), "jpki.crl", roots));
        Assert.Contains("which is not a root of --jpki-roots", foreign.Message);

        var garbage = Assert.Throws<JpkiTrustFileException>(() => JpkiRevocationList.Parse("not a CRL"u8.ToArray(), "jpki.crl", roots));
        Assert.StartsWith("jpki.crl: not a CRL", garbage.Message);
        var truncated = Assert.Throws<JpkiTrustFileException>(() => JpkiRevocationList.Parse(Crl(_root, _key, [], Start.AddDays(10), 1)[..40], "jpki.crl", roots));
        Assert.StartsWith("jpki.crl: not a CRL", truncated.Message);
    }

    private static X509Certificate2 MakeRoot(RSA key, string name)
    {
        var request = new CertificateRequest(name, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using X509Certificate2 withKey = request.CreateSelfSigned(Start, Start.AddYears(10));
        return X509CertificateLoader.LoadCertificate(withKey.RawData);
    }

    private static byte[] Crl(X509Certificate2 issuer, RSA key, IEnumerable<(byte[] Serial, DateTimeOffset At)> revoked, DateTimeOffset nextUpdate, long number)
    {
        var builder = new CertificateRevocationListBuilder();
        foreach ((byte[] serial, DateTimeOffset at) in revoked)
        {
            builder.AddEntry(serial, at);
        }

        using X509Certificate2 signer = issuer.CopyWithPrivateKey(key);
        return builder.Build(signer, new BigInteger(number), nextUpdate, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1, Start);
    }

    public void Dispose()
    {
        _root.Dispose();
        _key.Dispose();
    }
}
