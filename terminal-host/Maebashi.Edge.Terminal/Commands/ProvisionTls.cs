using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Maebashi.Edge.Terminal.Config;

namespace Maebashi.Edge.Terminal.Commands;

/// <summary><c>provision --tls --ca-file … [--client-cert … --client-key …]</c>: the TLS files a terminal keeps in keys/.</summary>
internal static class ProvisionTls
{
    public const string CaFile = "keys/ca.crt";
    public const string ClientCertFile = "keys/client.crt";
    public const string ClientKeyFile = "keys/client.key";

    /// <summary>What is wrong with the TLS options, or null.</summary>
    public static string? Problem(string deviceId, bool tls, string? ca, string? cert, string? key)
    {
        if (!tls && (ca is not null || cert is not null || key is not null))
        {
            return "--ca-file, --client-cert and --client-key go with --tls";
        }

        if ((cert is null) != (key is null))
        {
            return "--client-cert and --client-key: give both or neither";
        }

        if (ca is not null)
        {
            try
            {
                _ = Maebashi.Edge.Contract.Security.BrokerCertificatePolicy.LoadAuthorities(ca);
            }
            catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
            {
                return $"--ca-file {ca}: not a readable certificate ({e.Message})";
            }
        }

        if (cert is not null)
        {
            try
            {
                using X509Certificate2 client = X509Certificate2.CreateFromPemFile(cert, key);
                string cn = client.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
                if (cn != deviceId)
                {
                    // Mosquitto takes the CN as the user name: another device's certificate would be refused by the broker.
                    return $"--client-cert {cert}: its CN is '{cn}', not the device id '{deviceId}'";
                }
            }
            catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
            {
                return $"--client-cert {cert} / --client-key {key}: not a certificate and its key ({e.Message})";
            }
        }

        return null;
    }

    /// <summary>Copies the files into <paramref name="keys"/> (the key owner-only) and points the broker settings at them.</summary>
    public static void Copy(string keys, JsonObject broker, string? ca, string? cert, string? key)
    {
        string outDir = Path.GetDirectoryName(keys)!;
        if (ca is not null)
        {
            File.Copy(ca, Path.Combine(outDir, CaFile), overwrite: true);
            broker["CaFile"] = CaFile;
        }

        if (cert is not null && key is not null)
        {
            File.Copy(cert, Path.Combine(outDir, ClientCertFile), overwrite: true);
            SecretFile.Write(Path.Combine(outDir, ClientKeyFile), File.ReadAllText(key).Trim());
            broker["ClientCertFile"] = ClientCertFile;
            broker["ClientKeyFile"] = ClientKeyFile;
        }
    }
}
