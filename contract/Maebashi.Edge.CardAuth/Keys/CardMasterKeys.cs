using System.Globalization;
using Maebashi.Edge.CardAuth.Sun;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Security;

namespace Maebashi.Edge.CardAuth.Keys;

/// <summary>
/// The city's 16-byte card master keys by version (<c>ingest run --card-keys FILE</c>): one per line as
/// <c>VERSION HEX</c>, or a single hex line meaning version 0. A card's <c>keyVersion</c> picks its master,
/// so keys can be rotated card by card. Never log, return or export a key.
/// </summary>
public sealed class CardMasterKeys
{
    private readonly Dictionary<int, byte[]> _masters;
    private readonly Dictionary<int, byte[]> _metaKeys;

    private CardMasterKeys(Dictionary<int, byte[]> masters)
    {
        _masters = masters;
        _metaKeys = masters.ToDictionary(m => m.Key, m => SunKeys.MetaRead(m.Value));
    }

    public IReadOnlyCollection<int> Versions => _masters.Keys;

    public bool Has(int version) => _masters.ContainsKey(version);

    /// <summary><c>K_meta</c> of a key version (the same for every card of that version).</summary>
    public byte[]? MetaReadKey(int version) => _metaKeys.GetValueOrDefault(version);

    /// <summary><c>K_file(uid)</c> of a key version.</summary>
    public byte[]? FileReadKey(int version, ReadOnlySpan<byte> uid) =>
        _masters.TryGetValue(version, out byte[]? master) ? SunKeys.FileRead(master, uid) : null;

    /// <summary>
    /// Parses the key file's text. Throws <see cref="CardKeyFileException"/> naming the line and what is wrong;
    /// the message never quotes a key.
    /// </summary>
    public static CardMasterKeys Parse(string text, string fileName)
    {
        var masters = new Dictionary<int, byte[]>();
        string[] lines = text.Split('\n');
        var meaningful = new List<(int Line, string Text)>();
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length > 0 && !line.StartsWith('#'))
            {
                meaningful.Add((i + 1, line));
            }
        }

        if (meaningful.Count == 0)
        {
            throw new CardKeyFileException($"{fileName}: no key (expected 'VERSION HEX' lines or one hex line)");
        }

        foreach ((int lineNo, string line) in meaningful)
        {
            string[] parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            int version;
            string hex;
            if (parts.Length == 1 && meaningful.Count == 1)
            {
                version = 0;
                hex = parts[0];
            }
            else if (parts.Length == 2)
            {
                if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out version))
                {
                    throw new CardKeyFileException($"{fileName}:{lineNo}: the version is not a non-negative integer");
                }

                hex = parts[1];
            }
            else
            {
                throw new CardKeyFileException($"{fileName}:{lineNo}: expected 'VERSION HEX' (a single hex line only when it is the file's one key)");
            }

            if (!Hex.TryParse(hex, out byte[] key) || key.Length != AesCmac.KeySize)
            {
                throw new CardKeyFileException($"{fileName}:{lineNo}: the key is not {AesCmac.KeySize} bytes of hex ({AesCmac.KeySize * 2} hex digits)");
            }

            if (!masters.TryAdd(version, key))
            {
                throw new CardKeyFileException($"{fileName}:{lineNo}: version {version} is given twice");
            }
        }

        return new CardMasterKeys(masters);
    }

    /// <summary>
    /// Reads the key file, which must be readable by its owner only (no group or other permission bits):
    /// otherwise throws <see cref="CardKeyFileException"/> naming the file and its mode.
    /// </summary>
    public static CardMasterKeys Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new CardKeyFileException($"{path}: no such file");
        }

        if (OwnerOnlyFile.OpenToOthers(path) is { } mode)
        {
            throw new CardKeyFileException($"{path}: mode {mode} lets others read the card master keys; make it owner-only (chmod 600)");
        }

        return Parse(File.ReadAllText(path), path);
    }
}

/// <summary>The card key file cannot be used; the message names the file and the problem, never a key.</summary>
public sealed class CardKeyFileException(string message) : Exception(message);
