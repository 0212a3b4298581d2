using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.Http;

namespace Maebashi.Edge.Demo;

/// <summary>An operator the demo made, with the password a newcomer types into the console.</summary>
public sealed record DemoOperator(string Name, string Scope, string Password);

/// <summary>
/// The demo's operators file: one operator per scope (admin, transport, welfare, each clinic of the registry), each with
/// a fresh password for the console, hashed as <c>operators add</c> hashes it; the admin also has an API token, which the
/// demo's own report uses.
/// </summary>
internal static class DemoOperators
{
    public static (string Path, string AdminToken, IReadOnlyList<DemoOperator> Operators) Write(string dir, CityRegistry registry)
    {
        var operators = new List<DemoOperator>
        {
            new("demo-admin", "admin", NewPassword()),
            new("demo-transport", "transport", NewPassword()),
            new("demo-welfare", "welfare", NewPassword()),
        };
        operators.AddRange(registry.Clinics.OrderBy(c => c.Id, StringComparer.Ordinal).Select(c => new DemoOperator($"demo-clinic-{c.Id.ToLowerInvariant()}", $"clinic:{c.Id}", NewPassword())));

        string adminToken = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var rows = new JsonArray();
        foreach (DemoOperator o in operators)
        {
            var row = new JsonObject { ["name"] = o.Name, ["scope"] = o.Scope, ["passwordHash"] = PasswordHash.Hash(o.Password) };
            if (o.Scope == "admin")
            {
                row["token"] = adminToken;
            }

            rows.Add(row);
        }

        string path = System.IO.Path.Combine(dir, "operators.json");
        File.WriteAllText(path, rows.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return (path, adminToken, operators);
    }

    /// <summary>Three groups of four letters and digits (no look-alikes): easy to type from the terminal, ~60 bits.</summary>
    private static string NewPassword()
    {
        const string alphabet = "abcdefghjkmnpqrstuvwxyz23456789";
        Span<char> chars = stackalloc char[14];
        for (int i = 0; i < chars.Length; i++)
        {
            chars[i] = i is 4 or 9 ? '-' : alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
        }

        return new string(chars);
    }
}
