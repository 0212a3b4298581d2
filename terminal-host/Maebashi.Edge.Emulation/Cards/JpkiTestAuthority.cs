using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Maebashi.Edge.Emulation.Cards;

/// <summary>
/// A stand-in for J-LIS's JPKI user-authentication CA, for tests and the demo: a self-signed RSA root that
/// issues user-authentication certificates (RSA-2048, SHA-256, PKCS#1 v1.5, as the real card's) with exactly
/// the serial a test gives, and signs CRLs. Only public material leaves it as files (<see cref="RootPem"/>,
/// <see cref="CreateCrl"/>); the card gets its own private key with its certificate.
/// </summary>
public sealed class JpkiTestAuthority : IDisposable
{
    private readonly RSA _key;

    private JpkiTestAuthority(RSA key, X509Certificate2 root)
    {
        _key = key;
        Root = root;
    }

    /// <summary>The root certificate (public part only).</summary>
    public X509Certificate2 Root { get; }

    /// <summary>The root as PEM, what <c>ingest run --jpki-roots FILE.pem</c> reads.</summary>
    public string RootPem => Root.ExportCertificatePem();

    public static JpkiTestAuthority Create(DateTimeOffset notBefore, string name = "Emulated JPKI User Authentication CA")
    {
        RSA key = RSA.Create(2048);
        var request = new CertificateRequest(
            new X500DistinguishedName($"CN={name}, O=Maebashi Edge test, C=JP"), key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using X509Certificate2 withKey = request.CreateSelfSigned(notBefore, notBefore.AddYears(20));
        return new JpkiTestAuthority(key, X509CertificateLoader.LoadCertificate(withKey.RawData));
    }

    /// <summary>
    /// Issues a user-authentication certificate with the given serial (a minimal DER integer's bytes, as
    /// <see cref="X509Certificate2.SerialNumber"/> reads them back) and a fresh RSA-2048 key pair. The holder's
    /// name and address go in the subject, as on the real card, so tests can prove they never reach the cloud.
    /// </summary>
    public JpkiUserCredential IssueUserAuthentication(
        ReadOnlySpan<byte> serial, DateTimeOffset notBefore, DateTimeOffset notAfter,
        string holderName = "前橋 太郎", string holderAddress = "群馬県前橋市大手町2-12-1")
    {
        if (CertificateSerial.Problem(serial) is { } problem)
        {
            throw new ArgumentException(problem, nameof(serial));
        }

        RSA key = RSA.Create(2048);
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCountryOrRegion("JP");
        subject.AddLocalityName(holderAddress);
        subject.AddCommonName(holderName);
        var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Root, true, false));
        using X509Certificate2 made = request.Create(Root.SubjectName, X509SignatureGenerator.CreateForRSA(_key, RSASignaturePadding.Pkcs1), notBefore, notAfter, [0x01]);
        return new JpkiUserCredential(CertificateSerial.Rewrite(made.RawData, serial, tbs => _key.SignData(tbs, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)), key);
    }

    /// <summary>A CRL (DER) from this CA listing the given serials with their revocation times.</summary>
    public byte[] CreateCrl(IEnumerable<(byte[] Serial, DateTimeOffset RevokedAt)> revoked, DateTimeOffset thisUpdate, DateTimeOffset nextUpdate, long crlNumber = 1)
    {
        var builder = new CertificateRevocationListBuilder();
        foreach ((byte[] serial, DateTimeOffset revokedAt) in revoked)
        {
            builder.AddEntry(serial, revokedAt);
        }

        using X509Certificate2 issuer = Root.CopyWithPrivateKey(_key);
        return builder.Build(issuer, new BigInteger(crlNumber), nextUpdate, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1, thisUpdate);
    }

    public void Dispose()
    {
        _key.Dispose();
        Root.Dispose();
    }
}

/// <summary>What a personalised My Number card holds for user authentication: its certificate and its private key.</summary>
public sealed class JpkiUserCredential(byte[] certificateDer, RSA privateKey) : IDisposable
{
    public byte[] CertificateDer { get; } = certificateDer;

    /// <summary>Only the emulated card uses it to sign; it never leaves the card.</summary>
    public RSA PrivateKey { get; } = privateKey;

    public void Dispose() => PrivateKey.Dispose();
}
