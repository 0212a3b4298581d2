namespace Maebashi.Edge.Cli.Gtfs;

/// <summary>
/// translations.txt in either of its forms: the GTFS form GTFS-JP 3 uses (<c>table_name, field_name, language,
/// translation</c> with <c>record_id</c> or <c>field_value</c>), and the older GTFS-JP form (<c>trans_id, lang,
/// translation</c>, where trans_id is the Japanese text itself). Names in Japanese (<c>ja</c>) are the names
/// themselves and are not repeated.
/// </summary>
public sealed class GtfsTranslations
{
    private readonly Dictionary<(string Table, string Field, string Record), Dictionary<string, string>> _byRecord = [];
    private readonly Dictionary<(string Table, string Field, string Value), Dictionary<string, string>> _byValue = [];
    private readonly Dictionary<string, Dictionary<string, string>> _byText = new(StringComparer.Ordinal);

    public void AddForRecord(string table, string field, string record, string language, string text) =>
        Put(_byRecord, (table, field, record), language, text);

    public void AddForValue(string table, string field, string value, string language, string text) =>
        Put(_byValue, (table, field, value), language, text);

    public void AddForText(string original, string language, string text) => Put(_byText, original, language, text);

    /// <summary>
    /// The names in other languages of one field of one record; the most precise form wins (record id over field
    /// value over the older form's text). Null when there are none.
    /// </summary>
    public Dictionary<string, string>? Names(string table, string field, string record, string value)
    {
        Dictionary<string, string>? names = null;
        Merge(ref names, _byText.GetValueOrDefault(value));
        Merge(ref names, _byValue.GetValueOrDefault((table, field, value)));
        Merge(ref names, _byRecord.GetValueOrDefault((table, field, record)));
        return names;
    }

    private static void Put<TKey>(Dictionary<TKey, Dictionary<string, string>> map, TKey key, string language, string text)
        where TKey : notnull
    {
        if (language == "ja" || text.Length == 0)
        {
            return;
        }

        if (!map.TryGetValue(key, out Dictionary<string, string>? names))
        {
            map[key] = names = new Dictionary<string, string>(StringComparer.Ordinal);
        }

        names[language] = text;
    }

    private static void Merge(ref Dictionary<string, string>? into, Dictionary<string, string>? from)
    {
        foreach ((string language, string text) in from ?? [])
        {
            (into ??= new Dictionary<string, string>(StringComparer.Ordinal))[language] = text;
        }
    }
}
